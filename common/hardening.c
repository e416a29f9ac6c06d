/*
 * hardening.c - no new privileges, no core dumps; see hardening.h.
 *
 * Trust zone: any (called by every role during its start-up sequence,
 * before it meets untrusted input).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "hardening.h"
#include "log.h"

void hardening_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
}

void hardening_no_core(void)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		fatal("setrlimit(RLIMIT_CORE): %s", strerror(errno));
}

void hardening_not_dumpable(void)
{
	hardening_no_core();
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fatal("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
}

static const char *sigsys_ident = "gssocks";

/* Debug builds only: snprintf of an int into a local buffer, one write(2). */
static void sigsys_report(int sig, siginfo_t *info, void *context)
{
	char line[160];
	int n;

	(void)sig;
	(void)context;
	n = snprintf(line, sizeof(line), "%s: sandbox violation: system call %d\n",
		     sigsys_ident, info->si_syscall);
	if (n > 0) {
		ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n
									 : sizeof(line) - 1);
		(void)w;
	}
}

void hardening_report_sigsys(const char *ident)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigsys_ident = ident;
	sa.sa_sigaction = sigsys_report;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		fatal("sigaction(SIGSYS): %s", strerror(errno));
}
