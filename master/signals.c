/*
 * signals.c - signalfd in the event loop; see signals.h.
 *
 * Trust zone: master.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "master.h"
#include "policy_current.h"
#include "signals.h"
#include "spawn.h"

static int signal_fd = -1;

static void signals_event(int fd, uint32_t events, void *ctx)
{
	struct signalfd_siginfo info;
	bool child_died = false;

	(void)events;
	(void)ctx;
	for (;;) {
		ssize_t n = read(fd, &info, sizeof(info));
		if (n != (ssize_t)sizeof(info))
			break;
		switch (info.ssi_signo) {
		case SIGCHLD:
			child_died = true;
			break;
		case SIGHUP:
			log_info("event=signal signal=SIGHUP action=reload-policy,replace-authproc");
			policy_current_reload(master_cfg->policy_dir);
			/* krb5.conf is read by a new process only (frozen at start). */
			children_replace_authproc();
			break;
		case SIGTERM:
		case SIGINT:
			log_info("event=signal signal=%s action=shutdown",
				 info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			master_stop();
			break;
		default:
			break;
		}
	}
	/* Several deaths may share one SIGCHLD: reap them all. */
	if (child_died)
		children_reap();
}

int signals_init(void)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		log_err("sigprocmask: %m");
		return -1;
	}
	signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (signal_fd < 0) {
		log_err("signalfd: %m");
		return -1;
	}
	if (event_add(signal_fd, EPOLLIN, signals_event, NULL) < 0) {
		log_err("signals: epoll: %m");
		return -1;
	}
	return 0;
}
