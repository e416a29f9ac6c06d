/*
 * master.h - gssocksd start-up and the state every master module shares.
 *
 * Trust zone: master (network-facing, unprivileged, never holds keys).
 *
 * Design (Postfix master style): main.c only parses the command line and
 * calls master_run(); master.c opens what the daemon needs in a fixed
 * order (config, listeners, detach, pid-file, signals, resolver, children)
 * and runs the one event loop.  The loaded configuration is read-only
 * after start-up and reachable as master_cfg.
 */
#ifndef GSSOCKS_MASTER_MASTER_H
#define GSSOCKS_MASTER_MASTER_H

#include <stdbool.h>

#include "config_file.h"

struct master_options {
	const char *config_path;
	bool foreground;       /* -D */
	bool log_stderr;       /* -e */
	bool debug;            /* -d: -D -e and verbose */
	bool check_only;       /* -t */
};

/* The configuration in force (set by master_run before anything else). */
extern const struct master_config *master_cfg;
/* True with -d: children get --verbose too. */
extern bool master_verbose;

/* Run the daemon (or the -t check).  Returns the process exit status. */
int master_run(const struct master_options *opts);

/* Begin an orderly shutdown (SIGTERM, SIGINT). */
void master_stop(void);
/* Stop as master_stop(), and exit with `status` (a child that keeps
 * failing at start: setup_check.h SETUP_EXIT_STATUS; a spawner gone: 1). */
void master_fail(int status);
/* True once master_stop() was called: no accepting, no respawning. */
bool master_stopping(void);

#endif
