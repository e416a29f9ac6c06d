/*
 * realm.h - a throwaway MIT realm for C tests: start tests/realm/mkrealm.sh
 * in a temporary directory, take its environment, stop it at exit (also
 * when a signal or meson's timeout ends the test), and make context pairs
 * in-process.
 *
 * Trust zone: tests only.  Header-only (static functions) like tap.h.
 * Missing krb5kdc is a TAP skip; a realm that does not start is a bail-out.
 */
#ifndef GSSOCKS_TESTS_REALM_H
#define GSSOCKS_TESTS_REALM_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "../unit/tap.h"

static char realm_dir[] = "/tmp/gssocks-realm-test.XXXXXX";
static const char *realm_mkrealm;
static volatile pid_t realm_kdc_pid = -1;

static void realm_cleanup(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "bash '%s' '%s' stop >/dev/null 2>&1; rm -rf '%s'",
		 realm_mkrealm, realm_dir, realm_dir);
	if (system(cmd) != 0)
		diag("realm cleanup failed");
}

/* Killed by meson's timeout: the KDC is a daemon and would outlive us. */
static void realm_on_signal(int sig)
{
	static const char text[] = "Bail out! killed by a signal (timeout?)\n";

	if (realm_kdc_pid > 0)
		kill(realm_kdc_pid, SIGTERM);
	(void)!write(STDOUT_FILENO, text, sizeof(text) - 1);
	_exit(128 + sig);
}

static void realm_read_kdc_pid(void)
{
	char path[256];
	long pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kdc.pid", realm_dir);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	if (fscanf(f, "%ld", &pid) == 1 && pid > 1)
		realm_kdc_pid = (pid_t)pid;
	fclose(f);
}

/* Start the realm, export its env (export NAME='value' lines). */
static void realm_start(const char *mkrealm, unsigned timeout_seconds)
{
	char cmd[512], path[256], line[1024];
	FILE *f;

	realm_mkrealm = mkrealm;
	if (access("/usr/sbin/krb5kdc", X_OK) != 0)
		skip_all("krb5kdc is not installed");
	if (mkdtemp(realm_dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	atexit(realm_cleanup);
	signal(SIGTERM, realm_on_signal);
	signal(SIGINT, realm_on_signal);
	signal(SIGHUP, realm_on_signal);
	signal(SIGALRM, realm_on_signal);
	alarm(timeout_seconds);
	snprintf(cmd, sizeof(cmd), "bash '%s' '%s' start >'%s/mkrealm.log' 2>&1", mkrealm,
		 realm_dir, realm_dir);
	if (system(cmd) != 0) {
		realm_read_kdc_pid();
		printf("Bail out! mkrealm.sh failed (log in %s/mkrealm.log)\n", realm_dir);
		exit(1);
	}
	realm_read_kdc_pid();
	snprintf(path, sizeof(path), "%s/env", realm_dir);
	f = fopen(path, "r");
	if (f == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *eq, *value, *end;

		if (strncmp(line, "export ", 7) != 0 || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		value = eq + 1;
		if (*value == '\'')
			value++;
		end = value + strcspn(value, "'\n");
		*end = '\0';
		setenv(line + 7, value, 1);
	}
	fclose(f);
}

static void realm_gss_or_bail(OM_uint32 major, OM_uint32 minor, const char *what)
{
	if (GSS_ERROR(major)) {
		printf("Bail out! %s failed (major 0x%x minor %d)\n", what, (unsigned)major,
		       (int)minor);
		exit(1);
	}
}

/*
 * A context pair for service@host (hostbased) in this process: alice's
 * ccache initiates, the acceptor uses the default keytab (KRB5_KTNAME).
 * flags are the initiator's request; enctype, when not 0, restricts the
 * initiator's session key and subkeys to that one enctype.
 */
static void realm_handshake(const char *service, OM_uint32 flags, int32_t enctype,
			    gss_ctx_id_t *initiator, gss_ctx_id_t *acceptor)
{
	gss_buffer_desc name = { strlen(service), (void *)service };
	gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out, acc_out;
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	OM_uint32 major, minor = 0;
	gss_name_t target;

	*initiator = *acceptor = GSS_C_NO_CONTEXT;
	realm_gss_or_bail(gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &target),
			  minor, "gss_import_name");
	if (enctype != 0) {
		krb5_enctype e = enctype;

		realm_gss_or_bail(gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
						   GSS_C_NO_OID_SET, GSS_C_INITIATE, &cred, NULL,
						   NULL),
				  minor, "gss_acquire_cred");
		realm_gss_or_bail(gss_krb5_set_allowable_enctypes(&minor, cred, 1, &e), minor,
				  "gss_krb5_set_allowable_enctypes");
	}
	for (;;) {
		major = gss_init_sec_context(&minor, cred, initiator, target,
					     (gss_OID)gss_mech_krb5, flags, 0, NULL, &in, NULL,
					     &out, NULL, NULL);
		realm_gss_or_bail(major, minor, "gss_init_sec_context");
		if (in.length > 0)
			gss_release_buffer(&minor, &in);
		if (out.length > 0) {
			realm_gss_or_bail(gss_accept_sec_context(&minor, acceptor,
								 GSS_C_NO_CREDENTIAL, &out, NULL,
								 NULL, NULL, &acc_out, NULL, NULL,
								 NULL),
					  minor, "gss_accept_sec_context");
			gss_release_buffer(&minor, &out);
			in = acc_out;
		}
		if (major == GSS_S_COMPLETE)
			break;
	}
	if (in.length > 0)
		gss_release_buffer(&minor, &in);
	gss_release_name(&minor, &target);
	if (cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &cred);
}

#endif
