/*
 * The tiny child of `cargo xtask bench`: a static executable with no libc
 * that exits with status 0 as soon as it starts, so that what is measured
 * is the spawn and the exec, not the program.
 *
 * Built with: cc -static -nostdlib -O2 -o tiny tiny.c
 */
#include <sys/syscall.h>

void _start(void)
{
#if defined(__x86_64__)
	__asm__ volatile("syscall" : : "a"(SYS_exit_group), "D"(0) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long nr __asm__("x8") = SYS_exit_group;
	register long status __asm__("x0") = 0;
	__asm__ volatile("svc #0" : : "r"(nr), "r"(status) : "memory");
#else
#error "tiny.c: add the exit_group system call of this architecture"
#endif
	for (;;)
		;
}
