/*
 * master.c - gssocksd start-up, event loop and shutdown; see master.h.
 *
 * Trust zone: master.  SECURITY: the master reads its configuration, binds
 * the listeners, then sets PR_SET_NO_NEW_PRIVS before it starts any child
 * or touches client bytes.  It never opens the keytab (only passes its path
 * to authproc) and never sees an exported GSS context.
 *
 * Order of start-up: config -> logging -> users (root mode) -> listeners
 * and the control socket (master/control.c; errors still reach the terminal) -> detach -> pid-file -> spawners
 * (master/spawner.c) -> signals -> resolver -> drop to `user` and sandbox
 * (master/sandbox.c) -> children (through the spawners) -> accept.
 * Shutdown (SIGTERM/SIGINT): stop accepting, SIGTERM the children,
 * wait for them up to 5 s (then SIGKILL), drop the remaining sessions with
 * their end records, exit 0.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"        /* generated: GSSOCKS_VERSION */
#include "admission.h"
#include "audit.h"
#include "control.h"
#include "daemon.h"
#include "dns.h"
#include "event.h"
#include "hardening.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "policy_current.h"
#include "proxy_header.h"
#include "sandbox.h"
#include "session.h"
#include "setup_check.h"
#include "signals.h"
#include "spawn.h"
#include "spawner.h"
#include "util.h"
#include "watchdog.h"

#define SWEEP_INTERVAL_MS   1000u
#define SHUTDOWN_WAIT_MS    5000u
#define AUDIT_FLUSH_MS      1000u      /* records still queued at the end */

static struct master_config config;
const struct master_config *master_cfg = &config;
bool master_verbose;
static bool stopping;
static int exit_status;

void master_stop(void)
{
	stopping = true;
}

void master_fail(int status)
{
	exit_status = status;
	stopping = true;
}

bool master_stopping(void)
{
	return stopping;
}

/*
 * Sessions need fds: take the hard limit as the soft one (the children
 * inherit it).  A relay worker holds two sockets per session (client and
 * target) and gets about max-sessions / relay-workers of them: say so
 * when the limit cannot hold that (gssocksd(8) CAPACITY).
 */
static void raise_fd_limit(unsigned max_sessions, unsigned relay_workers)
{
	unsigned long long need;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn("setrlimit RLIMIT_NOFILE: %m");
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	need = 2ull * ((max_sessions + relay_workers - 1) / (relay_workers ? relay_workers : 1)) +
	       64;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		log_warn("RLIMIT_NOFILE is %llu: a relay worker may need %llu open files for "
			 "max-sessions %u over %u relay worker(s); raise LimitNOFILE / ulimit -n "
			 "(gssocksd(8) CAPACITY)", (unsigned long long)rl.rlim_cur, need,
			 max_sessions, relay_workers);
}

static int loop_timeout_ms(uint64_t now, uint64_t next_sweep)
{
	uint64_t deadline = next_sweep;
	uint64_t respawn = children_next_respawn();
	uint64_t watchdog = watchdog_next_due();
	int dns = dns_next_timeout_ms();

	if (respawn != 0 && respawn < deadline)
		deadline = respawn;
	if (watchdog != 0 && watchdog < deadline)
		deadline = watchdog;
	if (dns >= 0 && now + (uint64_t)dns < deadline)
		deadline = now + (uint64_t)dns;
	return deadline > now ? (int)(deadline - now) : 0;
}

static void master_loop(void)
{
	uint64_t next_sweep = monotonic_ms() + SWEEP_INTERVAL_MS;

	while (!stopping) {
		uint64_t now = monotonic_ms();

		if (event_run_once(loop_timeout_ms(now, next_sweep)) < 0)
			fatal("epoll_wait: %m");
		now = monotonic_ms();
		dns_timeouts();
		children_respawn_due(now);
		watchdog_tick(now);
		if (now >= next_sweep) {
			admission_sweep(now);
			proxy_header_sweep(now);
			audit_tick();
			session_sweep(now);
			memory_trim();       /* after sessions ended: pages back */
			listen_resume(now);
			control_sweep(now);
			next_sweep = now + SWEEP_INTERVAL_MS;
		}
	}
}

static bool any_session(const struct session *s, const void *arg)
{
	(void)s;
	(void)arg;
	return true;
}

static void master_shutdown(void)
{
	uint64_t deadline;

	listen_close();
	children_terminate();
	deadline = monotonic_ms() + SHUTDOWN_WAIT_MS;
	while (children_running() > 0) {
		uint64_t now = monotonic_ms();
		if (now >= deadline)
			break;
		if (event_run_once((int)(deadline - now < 200 ? deadline - now : 200)) < 0)
			break;
	}
	if (children_running() > 0) {
		log_warn("event=shutdown children=%u action=kill", children_running());
		children_kill_all();
		while (children_running() > 0) {
			int status;
			if (waitpid(-1, &status, 0) < 0 && errno == ECHILD)
				break;
			/* waitpid consumed one: let the reaper account for the rest. */
			children_reap();
			if (waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD)
				break;
		}
	}
	session_drop_matching(any_session, NULL, "shutdown");
	control_close();
	dns_shutdown();
	policy_current_free();
	if (config.pid_file[0] != '\0')
		pidfile_remove(config.pid_file);
	log_info("event=stop");
	audit_flush(AUDIT_FLUSH_MS);
}

/*
 * gssocksd -t: the configuration (already read), the policy directory and
 * the set-up (setup_check.c, nothing created).  Every problem is printed;
 * 0 when there is none, else 1.
 */
static int check_only(const struct master_options *opts)
{
	struct run_ids ids;
	int rc = 0;

	/* its diagnostics (a role run as root...) as gssocksd[PID], as at start */
	log_init("gssocksd", true, false);
	if (policy_check_dir(config.policy_dir, stderr) < 0)
		rc = 1;
	if (sandbox_resolve_users(&config, &ids) < 0 ||
	    setup_check(&config, &ids, false, opts->debug) < 0)
		rc = 1;
	return rc;
}

int master_run(const struct master_options *opts)
{
	char err[CONFIG_ERROR_MAX];
	char config_abs[PATH_MAX];
	struct run_ids ids;
	bool foreground = opts->foreground || opts->debug;

	if (config_load(opts->config_path, &config, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (opts->check_only)
		return check_only(opts);
	/* a broken policy refuses start-up, each error as file:line: reason */
	if (policy_current_load(config.policy_dir) < 0)
		return 1;
	master_verbose = opts->debug;
	/* Diagnostics, the children's too (childlog.c), go to syslog-socket
	 * with facility daemon, as records do; -d: stderr only, as before. */
	log_init("gssocksd", opts->log_stderr || opts->debug, false);
	log_set_verbose(opts->debug);
	audit_init(config.syslog_socket, opts->log_stderr || opts->debug);
	if (!opts->debug)
		log_set_sink(audit_daemon_line);
	raise_fd_limit(config.max_sessions, config.relay_workers);
	if (event_init() < 0)
		fatal("epoll_create1: %m");
	if (session_table_init(config.max_sessions, config.relay_workers,
			       config.authproc_workers) < 0 ||
	    children_init(config.relay_workers, config.authproc_workers) < 0)
		fatal("out of memory");
	if (realpath(opts->config_path, config_abs) == NULL) {
		fprintf(stderr, "%s: %s\n", opts->config_path, strerror(errno));
		return 1;
	}
	if (sandbox_resolve_users(&config, &ids) < 0 || sandbox_landlock_check(&config) < 0)
		return 1;
	/* Before the listeners and detaching: a wrong set-up ends here, on
	 * the terminal (or systemd's journal), with what to fix. */
	if (setup_check(&config, &ids, true, opts->debug) < 0) {
		if (!opts->log_stderr && !opts->debug)
			log_err("%s", setup_check_error());
		log_err("event=start result=failed reason=setup status=%d", SETUP_EXIT_STATUS);
		return SETUP_EXIT_STATUS;
	}
	if (listen_open(&config) < 0)
		return 1;
	/* The control socket too, while its file may still be made: as
	 * root, owned by `user` and control-group afterwards. */
	if (control_open(&config, ids.uid[RUN_MASTER]) < 0)
		return 1;
	if (!foreground && daemon_detach() < 0)
		return 1;
	if (config.pid_file[0] != '\0' && pidfile_write(config.pid_file) < 0)
		return 1;
	/* Nothing the master or its children run may gain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("PR_SET_NO_NEW_PRIVS: %m");
	hardening_no_core();
	/* After detaching (the spawners' parent reaps the children), before
	 * the sandbox (which kills fork and exec). */
	if (spawners_start(&ids) < 0)
		return 1;
	if (signals_init() < 0)
		return 1;
	if (dns_init() < 0)
		log_err("resolver unavailable: requests by name will fail");
	if (listen_watch() < 0 || control_watch() < 0)
		return 1;
	/* Listeners bound, files and sockets open: drop to `user`, no
	 * capability left, then Landlock and the seccomp allow-list. */
	sandbox_become(&ids, RUN_MASTER);
	sandbox_master_also_remove(control_socket_path());
	sandbox_master_enter(config_abs, config.policy_dir, config.pid_file);
	log_info("event=start version=%s pid=%ld relays=%u authprocs=%u libexec=%s",
		 GSSOCKS_VERSION, (long)getpid(), config.relay_workers, config.authproc_workers,
		 config.libexec_dir);
	children_start();
	master_loop();
	master_shutdown();
	return exit_status;
}
