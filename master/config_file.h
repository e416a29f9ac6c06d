/*
 * config_file.h - gssocksd.conf(5): the master's configuration file.
 *
 * Trust zone: master, start-up only.  The file is trusted input from the
 * administrator but still parsed strictly: every keyword is known, every
 * value is validated, and the first problem is reported as
 * `file:line: reason` so that `gssocksd -t` and a refused start-up say
 * exactly what to fix.
 *
 * Design: sshd_config-like lines `keyword value...`, `#` starts a comment,
 * blank lines ignored.  Every keyword except `listen` and
 * `proxy-protocol-from` may appear once.
 * Defaults come from config_defaults(); the values the children need are
 * turned into their command lines by spawn.c.
 */
#ifndef GSSOCKS_MASTER_CONFIG_FILE_H
#define GSSOCKS_MASTER_CONFIG_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../policy/policy.h"    /* struct address_block */

#define CONFIG_LISTEN_MAX     16
#define CONFIG_HOST_MAX       256
#define CONFIG_DEFAULT_PORT   1080
#define CONFIG_RELAYS_MAX     64
#define CONFIG_AUTHPROCS_MAX  16
/* authproc-workers by default: one per online CPU, at most this many. */
#define CONFIG_AUTHPROCS_DEFAULT_MAX 4
#define CONFIG_ERROR_MAX      (PATH_MAX + 512)
#define CONFIG_USER_MAX       33      /* a user name of at most 32 characters */
#define CONFIG_PROXY_FROM_MAX 64      /* proxy-protocol-from address blocks */

struct config_listen {
	char host[CONFIG_HOST_MAX];   /* numeric address, or "*" for every address */
	uint16_t port;
};

struct master_config {
	struct config_listen listen[CONFIG_LISTEN_MAX];
	size_t listen_count;          /* 0 after loading means the default */
	char keytab[PATH_MAX];
	unsigned relay_workers;       /* 1..CONFIG_RELAYS_MAX */
	unsigned authproc_workers;    /* 1..CONFIG_AUTHPROCS_MAX */
	unsigned levels;              /* bit (1 << level) for levels 1..3 */
	unsigned preferred_level;     /* 1..3 */
	bool allow_clear;
	bool allow_nec;
	bool selective_wrap_integrity; /* false: confidentiality */
	unsigned greeting_timeout;    /* seconds */
	unsigned auth_timeout;
	unsigned request_timeout;
	unsigned connect_timeout;
	unsigned bind_timeout;        /* BIND: seconds to wait for the peer */
	unsigned idle_timeout;        /* 0: none; default 3600 */
	unsigned child_timeout;       /* watchdog: seconds a child may leave a
	                                 ping unanswered; 0: off; default 5 */
	unsigned max_sessions;
	unsigned max_unauthenticated;  /* sessions in greeting/authenticating */
	unsigned max_unauthenticated_per_address;  /* per client prefix: */
	unsigned unauthenticated_prefix_v4;        /* 1..32 */
	unsigned unauthenticated_prefix_v6;        /* 1..128 */
	char libexec_dir[PATH_MAX];
	char pid_file[PATH_MAX];      /* empty: none */
	char replay_cache_dir[PATH_MAX]; /* authproc's KRB5RCACHEDIR, its only writable place */
	char policy_dir[PATH_MAX];    /* gssocks-policy(5) directory */
	char syslog_socket[PATH_MAX]; /* AF_UNIX datagram socket for audit records */
	/* gssocksctl(8)'s socket (master/control.c); empty: none.  The
	 * default (not given) is skipped with a warning when its directory
	 * does not exist; a path given must work or start-up fails. */
	char control_socket[PATH_MAX];
	bool control_socket_given;
	char control_group[CONFIG_USER_MAX]; /* may use it besides root; "" none */
	/* Root mode only (started as uid 0): the user each role runs as. */
	char user[CONFIG_USER_MAX];          /* master; default gssocks */
	char authproc_user[CONFIG_USER_MAX]; /* the only one that reads the keytab */
	char relay_user[CONFIG_USER_MAX];
	/* Run even when the kernel has no Landlock (file access then only
	 * what each role's user may do); default no: start-up refuses. */
	bool sandbox_without_landlock;
	/* Load balancers whose connections start with a PROXY protocol v2
	 * header (master/proxy_header.c); none by default. */
	struct address_block proxy_from[CONFIG_PROXY_FROM_MAX];
	size_t proxy_from_count;
};

/* Fill *cfg with the documented defaults. */
void config_defaults(struct master_config *cfg);

/*
 * The default authproc-workers for `cpus` online CPUs (sysconf's answer,
 * -1 when unknown): one handshake process per CPU, 1 to
 * CONFIG_AUTHPROCS_DEFAULT_MAX (gssocksd.conf(5) says why).
 */
unsigned config_default_authprocs(long cpus);

/*
 * Read `path` into *cfg (which config_load first resets to the defaults).
 * Returns 0, or -1 with the first problem in err as "file:line: reason"
 * (line 0 when the file cannot be opened or read).
 */
int config_load(const char *path, struct master_config *cfg, char *err, size_t errlen);

/* The i-th keyword the parser knows, NULL past the last (for the test
 * that holds gssocksd.conf(5) to the parser, master/test_config_manpage.c). */
const char *config_keyword(size_t i);

/* "1,2,3"-style list of cfg->levels for the authproc command line. */
void config_levels_arg(const struct master_config *cfg, char *out, size_t outlen);

#endif
