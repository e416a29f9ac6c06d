/*
 * daemon.c - detach and pid-file; see daemon.h.
 *
 * Trust zone: master.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

int daemon_detach(void)
{
	pid_t pid;
	int devnull;

	pid = fork();
	if (pid < 0) {
		log_err("fork: %m");
		return -1;
	}
	if (pid > 0)
		_exit(0);
	if (setsid() < 0) {
		log_err("setsid: %m");
		return -1;
	}
	if (chdir("/") < 0) {
		log_err("chdir /: %m");
		return -1;
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		log_err("/dev/null: %m");
		return -1;
	}
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
		if (dup2(devnull, fd) < 0) {
			log_err("dup2: %m");
			return -1;
		}
	if (devnull > STDERR_FILENO)
		close(devnull);
	return 0;
}

int pidfile_write(const char *path)
{
	char tmp[4096];
	char text[32];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		log_err("pid-file %s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		log_err("pid-file %s: %m", tmp);
		return -1;
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (write(fd, text, (size_t)n) != n || close(fd) < 0) {
		log_err("pid-file %s: %m", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		log_err("pid-file %s: %m", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

void pidfile_remove(const char *path)
{
	char text[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	if (strtol(text, NULL, 10) == (long)getpid())
		unlink(path);
}
