/*
 * advice.c - see advice.h.  Trust zone: client.
 *
 * Design: the credentials are asked of the GSS-API library the handshake
 * will use (gss_acquire_cred for the krb5 mechanism, initiator), so the
 * check sees exactly what gss_init_sec_context would: MIT gives an expired
 * ticket as credentials with lifetime 0, no ticket as GSS_S_NO_CRED.  The
 * Kerberos library supplies the names for the message: the cache
 * (krb5_cc_default_name) and its principal (krb5_cc_get_principal), which
 * an expired cache still holds; a cache without a principal (missing,
 * empty) is "no ticket" without asking GSS-API, whose gss_acquire_cred
 * (MIT 1.20) may crash on an empty cache file.  Credentials that come from
 * a client keytab (KRB5_CLIENT_KTNAME) pass whenever GSS-API accepts them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "diag.h"
#include "gateway.h"

#include "advice.h"

/*
 * The default cache's name and principal ("" when the cache has none), and
 * whether a client keytab (KRB5_CLIENT_KTNAME) could supply credentials.
 */
static void cache_names(char *cache, size_t cachelen, char *principal, size_t princlen,
			bool *client_keytab)
{
	krb5_context kc;
	krb5_ccache cc;
	krb5_keytab kt;
	krb5_principal p;
	char *text;

	snprintf(cache, cachelen, "(default credentials cache)");
	principal[0] = '\0';
	*client_keytab = false;
	if (krb5_init_context(&kc) != 0)
		return;
	snprintf(cache, cachelen, "%s", krb5_cc_default_name(kc));
	if (krb5_cc_default(kc, &cc) == 0) {
		if (krb5_cc_get_principal(kc, cc, &p) == 0) {
			if (krb5_unparse_name(kc, p, &text) == 0) {
				snprintf(principal, princlen, "%s", text);
				krb5_free_unparsed_name(kc, text);
			}
			krb5_free_principal(kc, p);
		}
		krb5_cc_close(kc, cc);
	}
	if (krb5_kt_client_default(kc, &kt) == 0) {
		*client_keytab = krb5_kt_have_content(kc, kt) == 0;
		krb5_kt_close(kc, kt);
	}
	krb5_free_context(kc);
}

int advice_check_credentials(void)
{
	gss_OID_set_desc mechs = { 1, (gss_OID)gss_mech_krb5 };
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	OM_uint32 major = GSS_S_NO_CRED, minor, lifetime = 0;
	char cache[1024], principal[GATEWAY_NAME_MAX * 2];
	bool client_keytab;

	cache_names(cache, sizeof(cache), principal, sizeof(principal), &client_keytab);
	/* Only a cache with a principal (or a client keytab) goes to GSS-API:
	 * MIT 1.20's gss_acquire_cred may crash on an empty cache file. */
	if (principal[0] != '\0' || client_keytab) {
		major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs,
					 GSS_C_INITIATE, &cred, NULL, &lifetime);
		if (cred != GSS_C_NO_CREDENTIAL)
			gss_release_cred(&minor, &cred);
		if (!GSS_ERROR(major) && lifetime > 0) {
			diag_step("Kerberos credentials of %s in %s, valid for %lu more seconds",
				  principal[0] != '\0' ? principal : "(client keytab)", cache,
				  (unsigned long)lifetime);
			return 0;
		}
	}
	if (principal[0] == '\0')
		diag_fail("no Kerberos ticket in %s: run kinit, then try again", cache);
	else if (!GSS_ERROR(major) || major == GSS_S_CREDENTIALS_EXPIRED)
		diag_fail("the Kerberos ticket of %s in %s has expired: run kinit %s, "
			  "then try again", principal, cache, principal);
	else
		diag_fail("no valid Kerberos ticket for %s in %s: run kinit %s, then try again",
			  principal, cache, principal);
	return -1;
}

void advice_context_abort(const char *target)
{
	const char *at = strrchr(target, '@');
	int service_len = at != NULL ? (int)(at - target) : (int)strlen(target);
	const char *host = at != NULL ? at + 1 : "HOST";

	diag_fail("GSS-API authentication to %s: the gateway refused the authentication "
		  "(01 ff); likely causes: the gateway's keytab has no key for %.*s/%s or only "
		  "an older key version (kvno) than the KDC's, or the clocks of this host and "
		  "the gateway differ by more than the allowed skew (5 minutes by default); "
		  "the gateway's log names the cause", target, service_len, target, host);
}

void advice_level_abort(const char *level, bool nec)
{
	diag_fail("protection-level subnegotiation (asked %s): the gateway authenticated you "
		  "and then refused (01 ff); likely causes: %syou already hold as many sessions "
		  "as your policy allows, or the policy leaves you no protection level this "
		  "connection can use; the gateway's audit log says which",
		  level, nec ? "the gateway does not allow the NEC form (--nec), " : "");
}
