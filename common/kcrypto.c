/*
 * kcrypto.c - see kcrypto.h.  Trust zone: shared (relay, client, tests).
 *
 * Design: one table row per enctype says which OpenSSL algorithms make it;
 * the code paths differ only where the RFCs do (what the integrity HMAC
 * covers, how sub-keys are derived).  The fetched OpenSSL algorithm
 * objects are kept for the life of the process (fetching is what reads
 * the OpenSSL configuration); per-usage schedules are built once per
 * session and re-initialised per message with a NULL key, which reuses
 * the schedule without allocating.
 *
 * Memory: a usage's four schedules (Ke encrypt, Ke decrypt, HMAC Ki, HMAC
 * Kc; about 650 and 850 octets each in OpenSSL 3) are built when first
 * needed, not with the usage: a session's sending usage only ever
 * encrypts, its receiving one only decrypts, and a session at
 * confidentiality never uses Kc (integrity never Ke), so a relay session
 * builds two of a usage's four and one of its two receiving usages
 * stays unbuilt (relay/framepool.h: an idle session's memory).  Until
 * then the usage keeps the derived keys (at most 3 x 32 octets, cleansed
 * when the usage is freed, as the schedules holding them are).
 * kcrypto_preload() builds every kind once before a sandbox, so a lazy
 * build later allocates only and reads no configuration.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "kcrypto.h"

struct profile {
	int32_t enctype;
	const char *name;
	size_t key_len;
	size_t mac_len;        /* truncated HMAC */
	size_t sub_len;        /* Ki and Kc length */
	bool rfc8009;
	const char *cts;       /* EVP cipher for Ke */
	const char *cbc;       /* EVP cipher for KRB5KDF (RFC 3961 DK) */
	const char *digest;    /* HMAC digest */
};

static const struct profile profiles[] = {
	{ KCRYPTO_AES128_SHA1, "aes128-cts-hmac-sha1-96", 16, 12, 16, false,
	  "AES-128-CBC-CTS", "AES-128-CBC", "SHA1" },
	{ KCRYPTO_AES256_SHA1, "aes256-cts-hmac-sha1-96", 32, 12, 32, false,
	  "AES-256-CBC-CTS", "AES-256-CBC", "SHA1" },
	{ KCRYPTO_AES128_SHA256, "aes128-cts-hmac-sha256-128", 16, 16, 16, true,
	  "AES-128-CBC-CTS", NULL, "SHA256" },
	{ KCRYPTO_AES256_SHA384, "aes256-cts-hmac-sha384-192", 32, 24, 24, true,
	  "AES-256-CBC-CTS", NULL, "SHA384" },
};

#define PROFILE_COUNT (sizeof(profiles) / sizeof(profiles[0]))

/* Fetched once: index i belongs to profiles[i]. */
static EVP_CIPHER *cts_ciphers[PROFILE_COUNT];
static EVP_MAC *hmac_mac;
static EVP_KDF *krb5kdf, *kbkdf;

static const uint8_t zero_iv[16];

struct kcrypto_usage {
	const struct profile *p;
	EVP_CIPHER_CTX *enc;            /* NULL until first needed */
	EVP_CIPHER_CTX *dec;
	EVP_MAC_CTX *ki;
	EVP_MAC_CTX *kc;
	uint8_t ke_key[KCRYPTO_KEY_MAX];
	uint8_t ki_key[KCRYPTO_KEY_MAX];
	uint8_t kc_key[KCRYPTO_KEY_MAX];
};

static const struct profile *profile_of(int32_t enctype, size_t *index)
{
	for (size_t i = 0; i < PROFILE_COUNT; i++)
		if (profiles[i].enctype == enctype) {
			if (index != NULL)
				*index = i;
			return &profiles[i];
		}
	return NULL;
}

bool kcrypto_supported(int32_t enctype)
{
	return profile_of(enctype, NULL) != NULL;
}

size_t kcrypto_key_len(int32_t enctype)
{
	const struct profile *p = profile_of(enctype, NULL);

	return p != NULL ? p->key_len : 0;
}

size_t kcrypto_mac_len(int32_t enctype)
{
	const struct profile *p = profile_of(enctype, NULL);

	return p != NULL ? p->mac_len : 0;
}

const char *kcrypto_name(int32_t enctype)
{
	const struct profile *p = profile_of(enctype, NULL);

	return p != NULL ? p->name : "unsupported";
}

static EVP_CIPHER *cts_cipher(const struct profile *p)
{
	size_t i = (size_t)(p - profiles);

	if (cts_ciphers[i] == NULL)
		cts_ciphers[i] = EVP_CIPHER_fetch(NULL, p->cts, NULL);
	return cts_ciphers[i];
}

static EVP_MAC *hmac(void)
{
	if (hmac_mac == NULL)
		hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return hmac_mac;
}

static int derive_rfc3961(const struct profile *p, const uint8_t *key, size_t key_len,
			  const uint8_t *constant, size_t constant_len,
			  uint8_t *out, size_t out_len)
{
	OSSL_PARAM params[4];
	EVP_KDF_CTX *kctx;
	int rc;

	if (krb5kdf == NULL)
		krb5kdf = EVP_KDF_fetch(NULL, "KRB5KDF", NULL);
	if (krb5kdf == NULL || out_len != p->key_len)
		return -1;
	kctx = EVP_KDF_CTX_new(krb5kdf);
	if (kctx == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_CIPHER, (char *)p->cbc, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_CONSTANT,
						      (void *)constant, constant_len);
	params[3] = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kctx, out, out_len, params) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

/* RFC 8009 section 3: K1 = HMAC(key, 00000001 | label | 00 | k), i.e. the
 * SP 800-108 counter mode with OpenSSL's defaults (32-bit counter, the
 * separator octet and the 32-bit length L all on). */
static int derive_rfc8009(const struct profile *p, const uint8_t *key, size_t key_len,
			  const uint8_t *label, size_t label_len,
			  uint8_t *out, size_t out_len)
{
	OSSL_PARAM params[6];
	EVP_KDF_CTX *kctx;
	int rc;

	if (kbkdf == NULL)
		kbkdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	if (kbkdf == NULL || out_len == 0 || out_len > 48)
		return -1;
	kctx = EVP_KDF_CTX_new(kbkdf);
	if (kctx == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, (char *)"counter", 0);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, (char *)"HMAC", 0);
	params[2] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)p->digest, 0);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	params[4] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label,
						      label_len);
	params[5] = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kctx, out, out_len, params) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

int kcrypto_derive(int32_t enctype, const uint8_t *key, size_t key_len,
		   const uint8_t *constant, size_t constant_len,
		   uint8_t *out, size_t out_len)
{
	const struct profile *p = profile_of(enctype, NULL);

	if (p == NULL || key_len != p->key_len)
		return -1;
	if (p->rfc8009)
		return derive_rfc8009(p, key, key_len, constant, constant_len, out, out_len);
	return derive_rfc3961(p, key, key_len, constant, constant_len, out, out_len);
}

static int usage_key(const struct profile *p, const uint8_t *key, uint32_t usage,
		     uint8_t which, uint8_t *out, size_t out_len)
{
	uint8_t constant[5] = {
		(uint8_t)(usage >> 24), (uint8_t)(usage >> 16), (uint8_t)(usage >> 8),
		(uint8_t)usage, which
	};

	return kcrypto_derive(p->enctype, key, p->key_len, constant, sizeof(constant),
			      out, out_len);
}

static EVP_MAC_CTX *hmac_new(const struct profile *p, const uint8_t *key, size_t key_len)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;

	if (hmac() == NULL || (ctx = EVP_MAC_CTX_new(hmac_mac)) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)p->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, key_len, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Kerberos CTS is CS3: the last two blocks always swapped. */
static int cipher_init(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, const uint8_t *key,
		       int enc)
{
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_CIPHER_PARAM_CTS_MODE,
						     (char *)"CS3", 0);
	params[1] = OSSL_PARAM_construct_end();
	return EVP_CipherInit_ex2(ctx, cipher, key, zero_iv, enc, params) == 1 ? 0 : -1;
}

static EVP_CIPHER_CTX *cipher_new(const struct profile *p, const uint8_t *key, int enc)
{
	EVP_CIPHER *cipher = cts_cipher(p);
	EVP_CIPHER_CTX *ctx;

	if (cipher == NULL || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	if (cipher_init(ctx, cipher, key, enc) < 0) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct kcrypto_usage *kcrypto_usage_new(int32_t enctype, const uint8_t *key,
					size_t key_len, uint32_t usage)
{
	const struct profile *p = profile_of(enctype, NULL);
	uint8_t ke[KCRYPTO_KEY_MAX], ki[KCRYPTO_KEY_MAX], kc[KCRYPTO_KEY_MAX];
	struct kcrypto_usage *u = NULL;
	bool good = false;

	if (p == NULL || key_len != p->key_len)
		return NULL;
	if (usage_key(p, key, usage, 0xAA, ke, p->key_len) < 0 ||
	    usage_key(p, key, usage, 0x55, ki, p->sub_len) < 0 ||
	    usage_key(p, key, usage, 0x99, kc, p->sub_len) < 0)
		goto out;
	u = OPENSSL_zalloc(sizeof(*u));
	if (u == NULL)
		goto out;
	u->p = p;
	memcpy(u->ke_key, ke, p->key_len);
	memcpy(u->ki_key, ki, p->sub_len);
	memcpy(u->kc_key, kc, p->sub_len);
	good = true;
out:
	OPENSSL_cleanse(ke, sizeof(ke));
	OPENSSL_cleanse(ki, sizeof(ki));
	OPENSSL_cleanse(kc, sizeof(kc));
	if (!good) {
		kcrypto_usage_free(u);
		return NULL;
	}
	return u;
}

void kcrypto_usage_free(struct kcrypto_usage *u)
{
	if (u == NULL)
		return;
	/* The providers' free functions cleanse the key schedules. */
	EVP_CIPHER_CTX_free(u->enc);
	EVP_CIPHER_CTX_free(u->dec);
	EVP_MAC_CTX_free(u->ki);
	EVP_MAC_CTX_free(u->kc);
	OPENSSL_clear_free(u, sizeof(*u));
}

/* The schedules, each built on first use: NULL when OpenSSL cannot. */
static EVP_CIPHER_CTX *enc_of(struct kcrypto_usage *u)
{
	if (u->enc == NULL)
		u->enc = cipher_new(u->p, u->ke_key, 1);
	return u->enc;
}

static EVP_CIPHER_CTX *dec_of(struct kcrypto_usage *u)
{
	if (u->dec == NULL)
		u->dec = cipher_new(u->p, u->ke_key, 0);
	return u->dec;
}

static EVP_MAC_CTX *ki_of(struct kcrypto_usage *u)
{
	if (u->ki == NULL)
		u->ki = hmac_new(u->p, u->ki_key, u->p->sub_len);
	return u->ki;
}

static EVP_MAC_CTX *kc_of(struct kcrypto_usage *u)
{
	if (u->kc == NULL)
		u->kc = hmac_new(u->p, u->kc_key, u->p->sub_len);
	return u->kc;
}

size_t kcrypto_usage_mac_len(const struct kcrypto_usage *u)
{
	return u->p->mac_len;
}

/* Full HMAC of up to three pieces into out (EVP_MAX_MD_SIZE octets). */
static int mac3(EVP_MAC_CTX *ctx, const uint8_t *a, size_t a_len, const uint8_t *b,
		size_t b_len, const uint8_t *c, size_t c_len, uint8_t *out)
{
	size_t out_len = 0;

	if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1 ||
	    (a_len > 0 && EVP_MAC_update(ctx, a, a_len) != 1) ||
	    (b_len > 0 && EVP_MAC_update(ctx, b, b_len) != 1) ||
	    (c_len > 0 && EVP_MAC_update(ctx, c, c_len) != 1) ||
	    EVP_MAC_final(ctx, out, &out_len, EVP_MAX_MD_SIZE) != 1)
		return -1;
	return 0;
}

static int cts_run(EVP_CIPHER_CTX *ctx, uint8_t *buf, size_t len, int enc)
{
	int out_len = 0;

	/* OpenSSL's CTS ciphers take the whole message in one update. */
	if (len < 16 || len > (size_t)INT32_MAX ||
	    cipher_init(ctx, NULL, NULL, enc) < 0 ||
	    EVP_CipherUpdate(ctx, buf, &out_len, buf, (int)len) != 1 ||
	    (size_t)out_len != len)
		return -1;
	return 0;
}

int kcrypto_encrypt(struct kcrypto_usage *u, uint8_t *buf, size_t len, uint8_t *mac)
{
	EVP_CIPHER_CTX *enc = enc_of(u);
	EVP_MAC_CTX *ki = ki_of(u);
	uint8_t full[EVP_MAX_MD_SIZE];
	int rc = -1;

	if (enc == NULL || ki == NULL)
		return -1;
	if (u->p->rfc8009) {
		/* RFC 8009 section 5: H = HMAC(Ki, IV | C). */
		if (cts_run(enc, buf, len, 1) < 0 ||
		    mac3(ki, zero_iv, sizeof(zero_iv), buf, len, NULL, 0, full) < 0)
			goto out;
	} else {
		/* RFC 3961 section 5.3: H = HMAC(Ki, conf | plaintext). */
		if (mac3(ki, buf, len, NULL, 0, NULL, 0, full) < 0 ||
		    cts_run(enc, buf, len, 1) < 0)
			goto out;
	}
	memcpy(mac, full, u->p->mac_len);
	rc = 0;
out:
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

int kcrypto_decrypt(struct kcrypto_usage *u, uint8_t *buf, size_t len, const uint8_t *mac)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	EVP_CIPHER_CTX *dec;
	EVP_MAC_CTX *ki;
	int rc = -1;

	if (len < 16 || (dec = dec_of(u)) == NULL || (ki = ki_of(u)) == NULL)
		return -1;
	if (u->p->rfc8009) {
		if (mac3(ki, zero_iv, sizeof(zero_iv), buf, len, NULL, 0, full) < 0 ||
		    CRYPTO_memcmp(full, mac, u->p->mac_len) != 0 ||
		    cts_run(dec, buf, len, 0) < 0)
			goto out;
	} else {
		if (cts_run(dec, buf, len, 0) < 0 ||
		    mac3(ki, buf, len, NULL, 0, NULL, 0, full) < 0 ||
		    CRYPTO_memcmp(full, mac, u->p->mac_len) != 0)
			goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

int kcrypto_checksum(struct kcrypto_usage *u, const uint8_t *a, size_t a_len,
		     const uint8_t *b, size_t b_len, uint8_t *out)
{
	EVP_MAC_CTX *kc = kc_of(u);
	uint8_t full[EVP_MAX_MD_SIZE];

	if (kc == NULL || mac3(kc, a, a_len, b, b_len, NULL, 0, full) < 0)
		return -1;
	memcpy(out, full, u->p->mac_len);
	return 0;
}

int kcrypto_verify(struct kcrypto_usage *u, const uint8_t *a, size_t a_len,
		   const uint8_t *b, size_t b_len, const uint8_t *mac)
{
	EVP_MAC_CTX *kc = kc_of(u);
	uint8_t full[EVP_MAX_MD_SIZE];

	if (kc == NULL || mac3(kc, a, a_len, b, b_len, NULL, 0, full) < 0)
		return -1;
	return CRYPTO_memcmp(full, mac, u->p->mac_len) == 0 ? 0 : -1;
}

int kcrypto_preload(void)
{
	static const uint8_t key[KCRYPTO_KEY_MAX];
	struct kcrypto_usage *u;
	uint8_t sample[16];

	/* Seeds the DRBG that makes confounders (getrandom) now. */
	if (RAND_bytes(sample, sizeof(sample)) != 1)
		return -1;
	OPENSSL_cleanse(sample, sizeof(sample));

	for (size_t i = 0; i < PROFILE_COUNT; i++) {
		bool built;

		u = kcrypto_usage_new(profiles[i].enctype, key, profiles[i].key_len, 0);
		if (u == NULL)
			return -1;
		/* every kind of schedule once: later builds read nothing */
		built = enc_of(u) != NULL && dec_of(u) != NULL && ki_of(u) != NULL &&
			kc_of(u) != NULL;
		kcrypto_usage_free(u);
		if (!built)
			return -1;
	}
	return 0;
}
