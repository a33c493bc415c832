/*
 * The C reference points of `cargo xtask bench`: vfork+execve (the floor)
 * and fork+execve, each followed by waitpid, as plain libc calls.
 *
 * Usage: floor RSS_BYTES
 *
 * The process first maps RSS_BYTES of private anonymous memory, asks for
 * small pages (MADV_NOHUGEPAGE) and writes one byte per page, so that its
 * page tables are as large as those of the benchmark process, then prints
 * "ready". It then reads commands from standard input, one per line:
 *
 *     MODE THREADS COUNT PATH
 *
 * MODE is "vfork" or "fork". THREADS threads each start PATH (argv = PATH,
 * the inherited environment) COUNT times, waiting for each child, and the
 * process prints one line with the THREADS * COUNT latencies in
 * nanoseconds, from just before the fork to just after waitpid returned
 * (CLOCK_MONOTONIC). A failure prints one line starting with "error".
 * End of input ends the process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The most threads a command may ask for. */
#define MAX_THREADS 16

struct job {
	int use_vfork;
	long count;
	const char *path;
	pthread_barrier_t *start;
	uint64_t *out;
	int failed;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int spawn_wait(int use_vfork, const char *path)
{
	char *argv[] = { (char *)path, NULL };
	pid_t pid = use_vfork ? vfork() : fork();
	int status;

	if (pid == 0) {
		execve(path, argv, environ);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void *run_job(void *arg)
{
	struct job *job = arg;
	long i;

	pthread_barrier_wait(job->start);
	for (i = 0; i < job->count; i++) {
		uint64_t t0 = now_ns();
		if (spawn_wait(job->use_vfork, job->path) != 0) {
			job->failed = 1;
			return NULL;
		}
		job->out[i] = now_ns() - t0;
	}
	return NULL;
}

static int command(char *line)
{
	char mode[16], path[4096];
	long threads, count, i, t;
	struct job jobs[MAX_THREADS];
	pthread_t ids[MAX_THREADS];
	pthread_barrier_t start;
	uint64_t *out;

	if (sscanf(line, "%15s %ld %ld %4095s", mode, &threads, &count, path) != 4 ||
	    threads < 1 || threads > MAX_THREADS || count < 1 ||
	    (strcmp(mode, "vfork") != 0 && strcmp(mode, "fork") != 0)) {
		printf("error: bad command: %s", line);
		return -1;
	}
	out = calloc((size_t)(threads * count), sizeof *out);
	if (out == NULL) {
		printf("error: out of memory\n");
		return -1;
	}
	pthread_barrier_init(&start, NULL, (unsigned)threads);
	for (t = 0; t < threads; t++) {
		jobs[t] = (struct job){
			.use_vfork = strcmp(mode, "vfork") == 0,
			.count = count,
			.path = path,
			.start = &start,
			.out = out + t * count,
		};
	}
	for (t = 1; t < threads; t++)
		pthread_create(&ids[t], NULL, run_job, &jobs[t]);
	run_job(&jobs[0]);
	for (t = 1; t < threads; t++)
		pthread_join(ids[t], NULL);
	pthread_barrier_destroy(&start);

	for (t = 0; t < threads; t++) {
		if (jobs[t].failed) {
			printf("error: %s %s failed\n", mode, path);
			free(out);
			return -1;
		}
	}
	for (i = 0; i < threads * count; i++)
		printf(i ? " %llu" : "%llu", (unsigned long long)out[i]);
	printf("\n");
	free(out);
	return 0;
}

int main(int argc, char **argv)
{
	char line[8192];
	size_t rss, off, page = (size_t)sysconf(_SC_PAGESIZE);

	if (argc != 2) {
		fprintf(stderr, "usage: floor RSS_BYTES\n");
		return 2;
	}
	rss = strtoull(argv[1], NULL, 10);
	if (rss > 0) {
		char *mem = mmap(NULL, rss, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED) {
			perror("floor: mmap");
			return 1;
		}
		madvise(mem, rss, MADV_NOHUGEPAGE);
		for (off = 0; off < rss; off += page)
			mem[off] = 1;
	}
	printf("ready\n");
	fflush(stdout);

	while (fgets(line, sizeof line, stdin) != NULL) {
		command(line);
		fflush(stdout);
	}
	return 0;
}
