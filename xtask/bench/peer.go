// The Go reference point of `cargo xtask bench`: os/exec's Cmd.Run, as a
// Go program starts a child by default.
//
// Usage: peer RSS_BYTES
//
// The process first maps RSS_BYTES of private anonymous memory outside the
// Go heap, asks for small pages (MADV_NOHUGEPAGE) and writes one byte per
// page, so that its page tables are as large as those of the benchmark
// process, then prints "ready". It then reads commands from standard input,
// one per line:
//
//	exec THREADS COUNT PATH
//
// THREADS goroutines each run exec.Command(PATH).Run() COUNT times, and the
// process prints one line with the THREADS * COUNT latencies in
// nanoseconds, from just before Run to just after it returned (Go's
// monotonic clock). A failure prints one line starting with "error". End
// of input ends the process.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: peer RSS_BYTES")
		os.Exit(2)
	}
	rss, err := strconv.ParseUint(os.Args[1], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(2)
	}
	if rss > 0 {
		mem, err := syscall.Mmap(-1, 0, int(rss), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			fmt.Fprintln(os.Stderr, "peer: mmap:", err)
			os.Exit(1)
		}
		_ = syscall.Madvise(mem, syscall.MADV_NOHUGEPAGE)
		page := os.Getpagesize()
		for off := 0; off < len(mem); off += page {
			mem[off] = 1
		}
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		command(out, in.Text())
		out.Flush()
	}
}

func command(out *bufio.Writer, line string) {
	fields := strings.Fields(line)
	if len(fields) != 4 || fields[0] != "exec" {
		fmt.Fprintf(out, "error: bad command: %s\n", line)
		return
	}
	threads, err1 := strconv.Atoi(fields[1])
	count, err2 := strconv.Atoi(fields[2])
	path := fields[3]
	if err1 != nil || err2 != nil || threads < 1 || count < 1 {
		fmt.Fprintf(out, "error: bad command: %s\n", line)
		return
	}

	latencies := make([]int64, threads*count)
	errs := make([]error, threads)
	start := make(chan struct{})
	var done sync.WaitGroup
	for t := 0; t < threads; t++ {
		done.Add(1)
		go func(t int) {
			defer done.Done()
			<-start
			for i := 0; i < count; i++ {
				t0 := time.Now()
				if err := exec.Command(path).Run(); err != nil {
					errs[t] = err
					return
				}
				latencies[t*count+i] = int64(time.Since(t0))
			}
		}(t)
	}
	close(start)
	done.Wait()

	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(out, "error: %s: %v\n", path, err)
			return
		}
	}
	for i, ns := range latencies {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.FormatInt(ns, 10))
	}
	out.WriteByte('\n')
}
