/*
 * test_filters.c - each role's real sandbox (the role's sandbox.c, linked
 * from its static library) installed in a forked child, which then tries
 * one call; the parent checks how the child ended.
 *
 * Trust zone: tests only.  Expectations, per role:
 *   relay:    every open, read-only or for writing: ENOENT (seccomp;
 *             Landlock grants no path behind it);
 *             socketpair(AF_UNIX, SOCK_SEQPACKET) works (it makes its
 *             authproc channels); socketpair(AF_INET), socket, connect,
 *             execve, fork, ptrace: killed by SIGSYS;
 *             setsockopt TCP_NODELAY and SO_LINGER work, SO_SNDBUF kills.
 *   authproc: open of a file outside the replay cache directory (a
 *             stand-in keytab): EACCES (Landlock); a new file in the
 *             replay cache directory: allowed; socket, socketpair,
 *             connect, execve, fork, ptrace: killed by SIGSYS;
 *             setsockopt TCP_NODELAY works, SO_LINGER and SO_SNDBUF kill.
 *   master:   open of the configuration file and of a policy file: works;
 *             open of the keytab: EACCES (Landlock); socket(AF_INET) works
 *             (outbound connects), socket(AF_NETLINK), bind of an AF_UNIX
 *             address, listen with any backlog but BIND's (1), execve,
 *             fork, ptrace: killed by SIGSYS; bind of an AF_INET address
 *             and listen(fd, 1) work (a BIND's listener, master/bind.c),
 *             and so does bind of a UDP socket (UDP ASSOCIATE, udp.c).
 *   spawner:  an allow-list.  Allowed (each checked): fork, clone with
 *             CLONE_PARENT | CLONE_PIDFD, prctl(PR_SET_PDEATHSIG),
 *             ioctl(TCGETS), open, and execve of a dynamically linked
 *             program (/bin/echo) that then runs and writes its line
 *             under the inherited filter; clone3 is ENOSYS and socket EACCES.
 *             memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING) works.
 *             Forbidden (killed by SIGSYS): bind, execveat, memfd_create
 *             with any other flags,
 *             fsopen, mount, io_uring_setup, clone with CLONE_NEWUSER,
 *             unshare, kill/tgkill/prlimit64 of another pid, ioctl(TIOCSTI),
 *             pidfd_open, keyctl; ptrace too (not in sanitizer builds:
 *             LeakSanitizer needs it in the children).
 *             It stacks the role's own rules: the relays' spawner allows
 *             setsockopt SO_LINGER, authproc's spawner kills it (and
 *             SO_SNDBUF) and allows TCP_NODELAY.
 * Without Landlock (no_landlock.h's filter first): authproc and the
 * master refuse to enter their sandbox (exit 1), authproc given
 * --sandbox-without-landlock runs (ARCHITECTURE.md invariant 9).
 * Every role: a harmless call (write to a pipe) still works, so that a
 * filter that kills everything cannot pass.
 * Relay, authproc and master alike (the shared base, issue 8): tgkill
 * (signal 0) of the caller itself and prlimit64 on the caller work;
 * tgkill and kill of the parent (the test, standing in for the spawner or
 * the master), prlimit64 on the parent, mmap of PROT_EXEC memory and
 * mprotect to PROT_EXEC: killed by SIGSYS; a read-write mmap works.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <termios.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "../unit/tap.h"
#include "../../authproc/sandbox.h"
#include "../../relay/sandbox.h"
#include "../../master/sandbox.h"
#include "../../common/landlock.h"
#include "no_landlock.h"

enum call { CALL_WRITE, CALL_OPEN_READ, CALL_OPEN_WRITE, CALL_CREATE_RCACHE, CALL_SOCKET,
	    CALL_CONNECT, CALL_EXECVE, CALL_FORK, CALL_PTRACE, CALL_OPEN_CONFIG, CALL_OPEN_POLICY,
	    CALL_SOCKET_NETLINK, CALL_BIND, CALL_BIND_INET, CALL_BIND_UDP, CALL_LISTEN_ONE, CALL_LISTEN_MANY,
	    /* Issue 8: signals, limits and executable memory reach only the caller. */
	    CALL_TGKILL_SELF, CALL_TGKILL_PARENT, CALL_KILL_PARENT, CALL_PRLIMIT_SELF,
	    CALL_PRLIMIT_PARENT, CALL_MMAP_RW, CALL_MMAP_EXEC, CALL_MPROTECT_EXEC,
	    CALL_SETSOCKOPT_NODELAY, CALL_SETSOCKOPT_LINGER, CALL_SETSOCKOPT_SNDBUF,
	    CALL_SOCKETPAIR_UNIX, CALL_SOCKETPAIR_INET,
	    /* The spawners' allow-list (issue 8). */
	    CALL_EXEC_TRUE, CALL_CLONE_CHILD, CALL_PDEATHSIG, CALL_ISATTY, CALL_EXECVEAT,
	    CALL_MEMFD, CALL_MEMFD_SEALED, CALL_FSOPEN, CALL_IO_URING, CALL_CLONE_NEWUSER, CALL_UNSHARE, CALL_TIOCSTI,
	    CALL_CLONE3, CALL_PIDFD_OPEN, CALL_MOUNT, CALL_KEYCTL };
enum role { ROLE_RELAY, ROLE_AUTHPROC, ROLE_MASTER, ROLE_SPAWNER, ROLE_SPAWNER_AUTHPROC,
	    /* Under no_landlock.h's filter (a kernel without Landlock): */
	    ROLE_AUTHPROC_NO_LANDLOCK, ROLE_AUTHPROC_OPTED_OUT, ROLE_MASTER_NO_LANDLOCK };

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

#define EXPECT_SIGSYS (-1)
#define EXPECT_REFUSED (-2)      /* sandbox entry refuses: exit status 1 */

struct filter_case {
	enum role role;
	enum call call;
	int expect;              /* errno (0: success) or EXPECT_SIGSYS */
	bool needs_landlock;
	const char *name;
};

static const struct filter_case cases[] = {
	{ ROLE_RELAY, CALL_WRITE, 0, false, "relay: write to a pipe works" },
	{ ROLE_RELAY, CALL_OPEN_READ, ENOENT, false, "relay: open of a file for reading is ENOENT" },
	{ ROLE_RELAY, CALL_OPEN_WRITE, ENOENT, false, "relay: open for writing is ENOENT" },
	{ ROLE_RELAY, CALL_SOCKET, EXPECT_SIGSYS, false, "relay: socket kills" },
	{ ROLE_RELAY, CALL_SOCKETPAIR_UNIX, 0, false,
	  "relay: socketpair(AF_UNIX, SOCK_SEQPACKET) works (its authproc channels)" },
	{ ROLE_RELAY, CALL_SOCKETPAIR_INET, EXPECT_SIGSYS, false,
	  "relay: socketpair(AF_INET) kills" },
	{ ROLE_RELAY, CALL_CONNECT, EXPECT_SIGSYS, false, "relay: connect kills" },
	{ ROLE_RELAY, CALL_EXECVE, EXPECT_SIGSYS, false, "relay: execve kills" },
	{ ROLE_RELAY, CALL_FORK, EXPECT_SIGSYS, false, "relay: fork kills" },
	{ ROLE_RELAY, CALL_PTRACE, EXPECT_SIGSYS, false, "relay: ptrace kills" },
	{ ROLE_RELAY, CALL_SETSOCKOPT_NODELAY, 0, false, "relay: setsockopt TCP_NODELAY works" },
	{ ROLE_RELAY, CALL_SETSOCKOPT_LINGER, 0, false, "relay: setsockopt SO_LINGER works" },
	{ ROLE_RELAY, CALL_SETSOCKOPT_SNDBUF, EXPECT_SIGSYS, false,
	  "relay: setsockopt SO_SNDBUF (any other option) kills" },
	{ ROLE_AUTHPROC, CALL_WRITE, 0, false, "authproc: write to a pipe works" },
	{ ROLE_AUTHPROC, CALL_OPEN_READ, EACCES, true, "authproc: open of the keytab is EACCES" },
	{ ROLE_AUTHPROC, CALL_CREATE_RCACHE, 0, false,
	  "authproc: a file in the replay cache directory can be created" },
	{ ROLE_AUTHPROC, CALL_SOCKET, EXPECT_SIGSYS, false, "authproc: socket kills" },
	{ ROLE_AUTHPROC, CALL_SOCKETPAIR_UNIX, EXPECT_SIGSYS, false,
	  "authproc: socketpair kills (relays make the channels)" },
	{ ROLE_AUTHPROC, CALL_CONNECT, EXPECT_SIGSYS, false, "authproc: connect kills" },
	{ ROLE_AUTHPROC, CALL_EXECVE, EXPECT_SIGSYS, false, "authproc: execve kills" },
	{ ROLE_AUTHPROC, CALL_FORK, EXPECT_SIGSYS, false, "authproc: fork kills" },
	{ ROLE_AUTHPROC, CALL_PTRACE, EXPECT_SIGSYS, false, "authproc: ptrace kills" },
	{ ROLE_AUTHPROC, CALL_SETSOCKOPT_NODELAY, 0, false, "authproc: setsockopt TCP_NODELAY works" },
	{ ROLE_AUTHPROC, CALL_SETSOCKOPT_LINGER, EXPECT_SIGSYS, false,
	  "authproc: setsockopt SO_LINGER kills (authproc never sets it)" },
	{ ROLE_AUTHPROC, CALL_SETSOCKOPT_SNDBUF, EXPECT_SIGSYS, false,
	  "authproc: setsockopt SO_SNDBUF (any other option) kills" },
	{ ROLE_MASTER, CALL_WRITE, 0, false, "master: write to a pipe works" },
	{ ROLE_MASTER, CALL_OPEN_CONFIG, 0, false, "master: its configuration file can be read" },
	{ ROLE_MASTER, CALL_OPEN_POLICY, 0, false, "master: a policy file can be read" },
	{ ROLE_MASTER, CALL_OPEN_READ, EACCES, true, "master: open of the keytab is EACCES" },
	{ ROLE_MASTER, CALL_SOCKET, 0, false, "master: socket(AF_INET) works" },
	{ ROLE_MASTER, CALL_SOCKET_NETLINK, EXPECT_SIGSYS, false, "master: socket(AF_NETLINK) kills" },
	{ ROLE_MASTER, CALL_BIND, EXPECT_SIGSYS, false, "master: bind of an AF_UNIX address kills" },
	{ ROLE_MASTER, CALL_BIND_INET, 0, false, "master: bind of 127.0.0.1:0 works (BIND)" },
	{ ROLE_MASTER, CALL_BIND_UDP, 0, false,
	  "master: bind of a UDP socket to 127.0.0.1:0 works (UDP ASSOCIATE)" },
	{ ROLE_MASTER, CALL_LISTEN_ONE, 0, false, "master: listen(fd, 1) works (BIND)" },
	{ ROLE_MASTER, CALL_LISTEN_MANY, EXPECT_SIGSYS, false,
	  "master: listen with another backlog kills" },
	{ ROLE_MASTER, CALL_EXECVE, EXPECT_SIGSYS, false, "master: execve kills" },
	{ ROLE_MASTER, CALL_FORK, EXPECT_SIGSYS, false, "master: fork kills" },
	{ ROLE_MASTER, CALL_PTRACE, EXPECT_SIGSYS, false, "master: ptrace kills" },
#define SELF_ONLY_CASES(role, name) \
	{ role, CALL_TGKILL_SELF, 0, false, name ": tgkill of itself works" }, \
	{ role, CALL_TGKILL_PARENT, EXPECT_SIGSYS, false, name ": tgkill of another pid kills" }, \
	{ role, CALL_KILL_PARENT, EXPECT_SIGSYS, false, name ": kill of another pid kills" }, \
	{ role, CALL_PRLIMIT_SELF, 0, false, name ": prlimit64 on itself works" }, \
	{ role, CALL_PRLIMIT_PARENT, EXPECT_SIGSYS, false, name ": prlimit64 on another pid kills" }, \
	{ role, CALL_MMAP_RW, 0, false, name ": read-write mmap works" }, \
	{ role, CALL_MMAP_EXEC, EXPECT_SIGSYS, false, name ": mmap with PROT_EXEC kills" }, \
	{ role, CALL_MPROTECT_EXEC, EXPECT_SIGSYS, false, name ": mprotect to PROT_EXEC kills" }
	SELF_ONLY_CASES(ROLE_RELAY, "relay"),
	SELF_ONLY_CASES(ROLE_AUTHPROC, "authproc"),
	SELF_ONLY_CASES(ROLE_MASTER, "master"),
	{ ROLE_AUTHPROC_NO_LANDLOCK, CALL_WRITE, EXPECT_REFUSED, false,
	  "authproc without Landlock: refuses to run (exit 1)" },
	{ ROLE_AUTHPROC_OPTED_OUT, CALL_WRITE, 0, false,
	  "authproc without Landlock, --sandbox-without-landlock: runs" },
	{ ROLE_MASTER_NO_LANDLOCK, CALL_WRITE, EXPECT_REFUSED, false,
	  "master without Landlock, not opted out: refuses to run (exit 1)" },
	/* The spawner's allow-list: its own calls, and what a child needs to
	 * exec a dynamically linked program and start it. */
	{ ROLE_SPAWNER, CALL_WRITE, 0, false, "spawner: write to a pipe works" },
	{ ROLE_SPAWNER, CALL_FORK, 0, false, "spawner: fork works" },
	{ ROLE_SPAWNER, CALL_CLONE_CHILD, 0, false,
	  "spawner: clone(CLONE_PARENT | CLONE_PIDFD) works (how it starts children)" },
	{ ROLE_SPAWNER, CALL_PDEATHSIG, 0, false, "spawner: prctl(PR_SET_PDEATHSIG) works" },
	{ ROLE_SPAWNER, CALL_ISATTY, 0, false, "spawner: ioctl(TCGETS) works (isatty)" },
	{ ROLE_SPAWNER, CALL_OPEN_CONFIG, 0, false, "spawner: open works (ld.so, the children's start-up)" },
	{ ROLE_SPAWNER, CALL_EXEC_TRUE, 0, false,
	  "spawner: execve of a dynamically linked program runs it (/bin/echo writes its line)" },
	{ ROLE_SPAWNER, CALL_CLONE3, ENOSYS, false,
	  "spawner: clone3 is ENOSYS (its flags cannot be checked)" },
	{ ROLE_SPAWNER, CALL_SOCKET, EACCES, false, "spawner: socket is EACCES" },
	/* A representative forbidden set. */
	{ ROLE_SPAWNER, CALL_BIND, EXPECT_SIGSYS, false, "spawner: bind kills" },
	{ ROLE_SPAWNER, CALL_EXECVEAT, EXPECT_SIGSYS, false, "spawner: execveat kills" },
	{ ROLE_SPAWNER, CALL_MEMFD_SEALED, 0, false,
	  "spawner: memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING) works (sealed krb5.conf)" },
	{ ROLE_SPAWNER, CALL_MEMFD, EXPECT_SIGSYS, false,
	  "spawner: memfd_create with other flags kills" },
	{ ROLE_SPAWNER, CALL_FSOPEN, EXPECT_SIGSYS, false, "spawner: fsopen (new mount API) kills" },
	{ ROLE_SPAWNER, CALL_MOUNT, EXPECT_SIGSYS, false, "spawner: mount kills" },
	{ ROLE_SPAWNER, CALL_IO_URING, EXPECT_SIGSYS, false, "spawner: io_uring_setup kills" },
	{ ROLE_SPAWNER, CALL_CLONE_NEWUSER, EXPECT_SIGSYS, false,
	  "spawner: clone with CLONE_NEWUSER kills" },
	{ ROLE_SPAWNER, CALL_UNSHARE, EXPECT_SIGSYS, false, "spawner: unshare kills" },
	{ ROLE_SPAWNER, CALL_KILL_PARENT, EXPECT_SIGSYS, false, "spawner: kill of another pid kills" },
	{ ROLE_SPAWNER, CALL_TGKILL_PARENT, EXPECT_SIGSYS, false,
	  "spawner: tgkill of another pid kills" },
	{ ROLE_SPAWNER, CALL_PRLIMIT_PARENT, EXPECT_SIGSYS, false,
	  "spawner: prlimit64 on another pid kills" },
	{ ROLE_SPAWNER, CALL_TIOCSTI, EXPECT_SIGSYS, false, "spawner: ioctl(TIOCSTI) kills" },
	{ ROLE_SPAWNER, CALL_PIDFD_OPEN, EXPECT_SIGSYS, false, "spawner: pidfd_open kills" },
	{ ROLE_SPAWNER, CALL_KEYCTL, EXPECT_SIGSYS, false, "spawner: keyctl kills" },
#ifndef TEST_ASAN
	{ ROLE_SPAWNER, CALL_PTRACE, EXPECT_SIGSYS, false, "spawner: ptrace kills" },
#endif
	/* Each spawner stacks its role's own argument rules. */
	{ ROLE_SPAWNER, CALL_SETSOCKOPT_LINGER, 0, false,
	  "relays' spawner: setsockopt SO_LINGER works (the relay's rules)" },
	{ ROLE_SPAWNER, CALL_SETSOCKOPT_SNDBUF, EXPECT_SIGSYS, false,
	  "relays' spawner: setsockopt SO_SNDBUF kills" },
	{ ROLE_SPAWNER_AUTHPROC, CALL_WRITE, 0, false, "authproc's spawner: write to a pipe works" },
	{ ROLE_SPAWNER_AUTHPROC, CALL_SETSOCKOPT_NODELAY, 0, false,
	  "authproc's spawner: setsockopt TCP_NODELAY works (authproc's rules)" },
	{ ROLE_SPAWNER_AUTHPROC, CALL_SETSOCKOPT_LINGER, EXPECT_SIGSYS, false,
	  "authproc's spawner: setsockopt SO_LINGER kills" },
	{ ROLE_SPAWNER_AUTHPROC, CALL_SETSOCKOPT_SNDBUF, EXPECT_SIGSYS, false,
	  "authproc's spawner: setsockopt SO_SNDBUF kills" },
};

static char workdir[] = "/tmp/gssocks-filters.XXXXXX";
static char keytab_path[256];
static char rcache_path[256];
static char config_path[256];
static char policy_path[256];
static pid_t test_pid;       /* the test itself: "another process" to a child */
static int tcp_sock = -1;    /* a TCP socket made before any sandbox */
static int pipe_r = -1;      /* in a case's child: the read end of its pipe */

/* In the child: returns the errno of the call, 0 on success. */
static int try_call(enum call call, int unix_sock, int pipe_w)
{
	char path[300];
	int fd;

	switch (call) {
	case CALL_WRITE:
		return write(pipe_w, "x", 1) == 1 ? 0 : errno;
	case CALL_OPEN_READ:
		fd = open(keytab_path, O_RDONLY);
		return fd >= 0 ? 0 : errno;
	case CALL_OPEN_WRITE:
		fd = open(keytab_path, O_WRONLY);
		return fd >= 0 ? 0 : errno;
	case CALL_CREATE_RCACHE:
		snprintf(path, sizeof(path), "%s/krb5_test.rcache2", rcache_path);
		fd = open(path, O_RDWR | O_CREAT, 0600);
		return fd >= 0 ? 0 : errno;
	case CALL_SOCKET:
		fd = socket(AF_INET, SOCK_STREAM, 0);
		return fd >= 0 ? 0 : errno;
	case CALL_CONNECT: {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/nothing", workdir);
		return connect(unix_sock, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? 0 : errno;
	}
	case CALL_EXECVE: {
		char *argv[] = { (char *)"/bin/true", NULL };
		execve("/bin/true", argv, NULL);
		return errno;
	}
	case CALL_FORK: {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		return p > 0 ? 0 : errno;
	}
	case CALL_PTRACE:
		return ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 0 : errno;
	case CALL_OPEN_CONFIG:
		fd = open(config_path, O_RDONLY);
		return fd >= 0 ? 0 : errno;
	case CALL_OPEN_POLICY:
		snprintf(path, sizeof(path), "%s/default", policy_path);
		fd = open(path, O_RDONLY);
		return fd >= 0 ? 0 : errno;
	case CALL_SOCKET_NETLINK:
		fd = socket(AF_NETLINK, SOCK_RAW, 0);
		return fd >= 0 ? 0 : errno;
	case CALL_SETSOCKOPT_NODELAY: {
		int one = 1;
		return setsockopt(tcp_sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 ? 0 : errno;
	}
	case CALL_SETSOCKOPT_LINGER: {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };
		return setsockopt(tcp_sock, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) == 0 ? 0 : errno;
	}
	case CALL_SETSOCKOPT_SNDBUF: {
		int size = 4096;
		return setsockopt(tcp_sock, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) == 0 ? 0 : errno;
	}
	case CALL_TGKILL_SELF:
		return syscall(SYS_tgkill, getpid(), getpid(), 0) == 0 ? 0 : errno;
	case CALL_TGKILL_PARENT:
		return syscall(SYS_tgkill, test_pid, test_pid, 0) == 0 ? 0 : errno;
	case CALL_KILL_PARENT:
		return kill(test_pid, 0) == 0 ? 0 : errno;
	case CALL_PRLIMIT_SELF: {
		struct rlimit rl;
		return prlimit(getpid(), RLIMIT_NOFILE, NULL, &rl) == 0 ? 0 : errno;
	}
	case CALL_PRLIMIT_PARENT: {
		struct rlimit rl;
		return prlimit(test_pid, RLIMIT_NOFILE, NULL, &rl) == 0 ? 0 : errno;
	}
	case CALL_MMAP_RW:
	case CALL_MMAP_EXEC: {
		int prot = PROT_READ | (call == CALL_MMAP_EXEC ? PROT_EXEC : PROT_WRITE);
		void *m = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return m != MAP_FAILED ? 0 : errno;
	}
	case CALL_MPROTECT_EXEC: {
		void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return errno;
		return mprotect(m, 4096, PROT_READ | PROT_EXEC) == 0 ? 0 : errno;
	}
	case CALL_BIND_UDP: {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			return errno;
		return bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ? 0 : errno;
	}
	case CALL_BIND_INET:
	case CALL_LISTEN_ONE:
	case CALL_LISTEN_MANY: {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			return errno;
		if (call == CALL_BIND_INET)
			return 0;
		return listen(fd, call == CALL_LISTEN_ONE ? 1 : 128) == 0 ? 0 : errno;
	}
	case CALL_EXEC_TRUE: {
		/* Exec in a child of ours, which inherits the filter (the
		 * spawner never waits: its children's parent is the master):
		 * 0 when /bin/echo ran far enough to write its line. */
		char *argv[] = { (char *)"/bin/echo", (char *)"exec-ok", NULL };
		char got[16] = "";
		struct pollfd pfd = { .fd = pipe_r, .events = POLLIN };
		pid_t p = fork();
		if (p == 0) {
			if (dup2(pipe_w, STDOUT_FILENO) == STDOUT_FILENO)
				execve("/bin/echo", argv, NULL);
			_exit(126);
		}
		if (p < 0)
			return errno;
		if (poll(&pfd, 1, 5000) != 1)
			return ETIMEDOUT;
		return read(pipe_r, got, sizeof(got) - 1) > 0 && strcmp(got, "exec-ok\n") == 0 ? 0 : EIO;
	}
	case CALL_CLONE_CHILD: {
		int pidfd = -1;
		long p = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | CLONE_PIDFD), NULL, &pidfd,
				 NULL, NULL);
		if (p == 0)
			_exit(0);
		return p > 0 && pidfd >= 0 ? 0 : errno;
	}
	case CALL_PDEATHSIG:
		return prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 ? 0 : errno;
	case CALL_ISATTY: {
		struct termios t;
		/* The pipe is no terminal: ENOTTY from the kernel means allowed. */
		return ioctl(pipe_w, TCGETS, &t) < 0 && errno == ENOTTY ? 0 : EIO;
	}
	case CALL_EXECVEAT: {
		char *argv[] = { (char *)"/bin/true", NULL };
		syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, NULL, 0);
		return errno;
	}
	case CALL_MEMFD:
		return syscall(SYS_memfd_create, "x", 0) >= 0 ? 0 : errno;
	case CALL_MEMFD_SEALED:
		return syscall(SYS_memfd_create, "x", MFD_CLOEXEC | MFD_ALLOW_SEALING) >= 0 ? 0 : errno;
	case CALL_FSOPEN:
		return syscall(SYS_fsopen, "tmpfs", 0) >= 0 ? 0 : errno;
	case CALL_MOUNT:
		return syscall(SYS_mount, "none", workdir, "tmpfs", 0, NULL) == 0 ? 0 : errno;
	case CALL_IO_URING: {
		char params[120] = { 0 };
		return syscall(SYS_io_uring_setup, 1, params) >= 0 ? 0 : errno;
	}
	case CALL_CLONE_NEWUSER: {
		long p = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL,
				 NULL, NULL);
		if (p == 0)
			_exit(0);
		return p > 0 ? 0 : errno;
	}
	case CALL_UNSHARE:
		return syscall(SYS_unshare, CLONE_NEWUSER) == 0 ? 0 : errno;
	case CALL_TIOCSTI: {
		char c = 'x';
		return ioctl(pipe_w, TIOCSTI, &c) == 0 ? 0 : errno;
	}
	case CALL_CLONE3: {
		uint64_t args[8] = { 0 };
		args[4] = SIGCHLD;                 /* exit_signal */
		long p = syscall(SYS_clone3, args, sizeof(args));
		if (p == 0)
			_exit(0);
		return p > 0 ? 0 : errno;
	}
	case CALL_PIDFD_OPEN:
		return syscall(SYS_pidfd_open, test_pid, 0) >= 0 ? 0 : errno;
	case CALL_KEYCTL:
		return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0) >= 0 ? 0 : errno;
	case CALL_BIND: {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/bound", workdir);
		return bind(unix_sock, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? 0 : errno;
	}
	case CALL_SOCKETPAIR_UNIX: {
		int sv[2];
		return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0 ? 0 : errno;
	}
	case CALL_SOCKETPAIR_INET: {
		int sv[2];
		/* EOPNOTSUPP without a filter: it must not get that far. */
		return socketpair(AF_INET, SOCK_STREAM, 0, sv) == 0 ? 0 : errno;
	}
	}
	return EINVAL;
}

/* Child exit codes: 0 = the call ended as expected, 1 = it did not. */
static void run_case(const struct filter_case *c)
{
	int pipefd[2];
	int status;
	pid_t pid;

	if (pipe(pipefd) < 0) {
		ok(false, "%s (pipe: %s)", c->name, strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		int sock = socket(AF_UNIX, SOCK_STREAM, 0);
		int got;

		pipe_r = pipefd[0];
		if (c->role >= ROLE_AUTHPROC_NO_LANDLOCK && no_landlock_filter() < 0)
			_exit(3);
		if (c->role == ROLE_AUTHPROC_OPTED_OUT)
			authproc_sandbox_without_landlock();
		if (c->role == ROLE_RELAY)
			relay_sandbox_enter();
		else if (c->role == ROLE_AUTHPROC || c->role == ROLE_AUTHPROC_NO_LANDLOCK ||
			 c->role == ROLE_AUTHPROC_OPTED_OUT)
			authproc_sandbox_enter();
		else if (c->role == ROLE_MASTER || c->role == ROLE_MASTER_NO_LANDLOCK)
			sandbox_master_enter(config_path, policy_path, NULL);
		else if (c->role == ROLE_SPAWNER_AUTHPROC)
			sandbox_spawner_enter(RUN_AUTHPROC);
		else
			sandbox_spawner_enter(RUN_RELAY);
		got = try_call(c->call, sock, pipefd[1]);
		if (got != c->expect) {
			char line[200];
			int n = snprintf(line, sizeof(line), "# got errno %d, expected %d\n", got,
					 c->expect);
			if (write(STDOUT_FILENO, line, (size_t)n) < 0)
				_exit(2);
		}
		_exit(got == c->expect ? 0 : 1);
	}
	close(pipefd[1]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		ok(false, "%s (fork/wait: %s)", c->name, strerror(errno));
		close(pipefd[0]);
		return;
	}
	close(pipefd[0]);
	if (c->expect == EXPECT_REFUSED)
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s (status 0x%x)", c->name,
		   (unsigned)status);
	else if (c->expect == EXPECT_SIGSYS)
		ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		   "%s (status 0x%x)", c->name, (unsigned)status);
	else
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s (status 0x%x)", c->name,
		   (unsigned)status);
}

int main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	bool landlock = landlock_abi() > 0;
	int fd;

	test_pid = getpid();
	tcp_sock = socket(AF_INET, SOCK_STREAM, 0);
	if (GSSOCKS_SECCOMP_TRAP) {
		printf("1..0 # SKIP built with -Dseccomp_trap=true: violations trap, they do not kill\n");
		return 0;
	}
	if (mkdtemp(workdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(keytab_path, sizeof(keytab_path), "%s/gateway.keytab", workdir);
	snprintf(rcache_path, sizeof(rcache_path), "%s/rcache", workdir);
	fd = open(keytab_path, O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || write(fd, "key", 3) != 3 || mkdir(rcache_path, 0700) < 0) {
		printf("Bail out! test files: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	snprintf(config_path, sizeof(config_path), "%s/gssocksd.conf", workdir);
	snprintf(policy_path, sizeof(policy_path), "%s/policy", workdir);
	{
		char path[300];
		int c1 = open(config_path, O_WRONLY | O_CREAT, 0600), c2;

		snprintf(path, sizeof(path), "%s/default", policy_path);
		if (c1 < 0 || mkdir(policy_path, 0700) < 0 ||
		    (c2 = open(path, O_WRONLY | O_CREAT, 0600)) < 0) {
			printf("Bail out! test files: %s\n", strerror(errno));
			return 1;
		}
		close(c1);
		close(c2);
	}
	setenv("KRB5RCACHEDIR", rcache_path, 1);
	setenv("KRB5_CONFIG", "/nonexistent/krb5.conf", 1);
	fflush(stdout);
	plan((int)n);
	for (size_t i = 0; i < n; i++) {
		if (cases[i].needs_landlock && !landlock) {
			printf("ok %d # SKIP no Landlock in this kernel\n", tap_run + 1);
			tap_run++;
			continue;
		}
		fflush(stdout);
		run_case(&cases[i]);
	}
	{
		char path[300];
		snprintf(path, sizeof(path), "%s/krb5_test.rcache2", rcache_path);
		unlink(path);
		rmdir(rcache_path);
		unlink(keytab_path);
		unlink(config_path);
		snprintf(path, sizeof(path), "%s/default", policy_path);
		unlink(path);
		rmdir(policy_path);
		snprintf(path, sizeof(path), "%s/bound", workdir);
		unlink(path);
		rmdir(workdir);
	}
	return tap_failed == 0 ? 0 : 1;
}
