/*
 * kcrypto.h - the Kerberos simplified profile for the four AES enctypes,
 * on OpenSSL 3: key derivation, encryption with integrity, and checksums.
 *
 *   aes128-cts-hmac-sha1-96 (17), aes256-cts-hmac-sha1-96 (18)
 *       RFC 3961 section 5.3 with RFC 3962: DK() by n-fold + AES (OpenSSL's
 *       KRB5KDF), HMAC-SHA1 truncated to 96 bits over confounder|plaintext.
 *   aes128-cts-hmac-sha256-128 (19), aes256-cts-hmac-sha384-192 (20)
 *       RFC 8009: SP 800-108 counter-mode KDF with HMAC-SHA256/384 (OpenSSL's
 *       KBKDF), HMAC over IV|ciphertext (encrypt-then-MAC), 128/192 bits.
 *   Both encrypt with AES-CBC-CTS as Kerberos does (CS3, IV zero).
 *
 * Trust zone: shared by the processes that hold GSS-API contexts (relay,
 * client) and the tests.  No I/O, no allocation per message: a
 * struct kcrypto_usage holds the OpenSSL key schedules for one (base key,
 * key usage) pair, built once per session, and works on caller storage.
 * Key bytes only ever pass through stack buffers that are cleansed before
 * return; kcrypto_usage_free() frees (and so wipes) the schedules.
 *
 * Return convention: 0 on success, -1 on failure (for *_decrypt and
 * *_verify, -1 also means "integrity check failed": the caller must not
 * use a byte of the buffer).
 */
#ifndef GSSOCKS_COMMON_KCRYPTO_H
#define GSSOCKS_COMMON_KCRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KCRYPTO_CONFOUNDER_LEN 16    /* the AES block */
#define KCRYPTO_MAC_MAX 24           /* longest truncated HMAC (SHA-384) */
#define KCRYPTO_KEY_MAX 32

/* Enctype numbers (RFC 3961 registry). */
enum {
	KCRYPTO_AES128_SHA1 = 17,
	KCRYPTO_AES256_SHA1 = 18,
	KCRYPTO_AES128_SHA256 = 19,
	KCRYPTO_AES256_SHA384 = 20,
};

/* True for the four enctypes above. */
bool kcrypto_supported(int32_t enctype);
/* Base key length in octets (16 or 32), 0 if unsupported. */
size_t kcrypto_key_len(int32_t enctype);
/* Truncated HMAC length in octets (12, 16 or 24), 0 if unsupported. */
size_t kcrypto_mac_len(int32_t enctype);
/* "aes256-cts-hmac-sha1-96" etc., "unsupported" otherwise. */
const char *kcrypto_name(int32_t enctype);

/*
 * The profile's key derivation: RFC 3961 DK(key, constant) for 17/18,
 * RFC 8009 KDF-HMAC-SHA2(key, label = constant, out_len * 8) for 19/20.
 * out_len must be the key length (17/18); any length up to 48 (19/20).
 */
int kcrypto_derive(int32_t enctype, const uint8_t *key, size_t key_len,
		   const uint8_t *constant, size_t constant_len,
		   uint8_t *out, size_t out_len);

struct kcrypto_usage;

/* Ke, Ki and Kc of key for one key usage number (each OpenSSL schedule is
 * built on first use; a failure to build one fails that call); NULL on
 * failure. */
struct kcrypto_usage *kcrypto_usage_new(int32_t enctype, const uint8_t *key,
					size_t key_len, uint32_t usage);
/* Frees the schedules (OpenSSL cleanses them); NULL is fine. */
void kcrypto_usage_free(struct kcrypto_usage *u);
size_t kcrypto_usage_mac_len(const struct kcrypto_usage *u);

/*
 * Encrypt in place: buf[0..16) is the confounder (the caller fills it,
 * random except in known-answer tests), buf[16..len) the plaintext; on
 * return buf[0..len) is the ciphertext and mac[0..mac_len) the truncated
 * HMAC, i.e. the Kerberos ciphertext is buf|mac.  len >= 16.
 */
int kcrypto_encrypt(struct kcrypto_usage *u, uint8_t *buf, size_t len, uint8_t *mac);

/*
 * Verify and decrypt in place: buf[0..len) ciphertext, mac the received
 * truncated HMAC (compared in constant time).  On 0, buf[0..16) is the
 * confounder and buf[16..len) the plaintext.
 */
int kcrypto_decrypt(struct kcrypto_usage *u, uint8_t *buf, size_t len, const uint8_t *mac);

/*
 * Keyed checksum (Kc) over the concatenation of two pieces into
 * out[0..mac_len); kcrypto_verify compares against a received one in
 * constant time.
 */
int kcrypto_checksum(struct kcrypto_usage *u, const uint8_t *a, size_t a_len,
		     const uint8_t *b, size_t b_len, uint8_t *out);
int kcrypto_verify(struct kcrypto_usage *u, const uint8_t *a, size_t a_len,
		   const uint8_t *b, size_t b_len, const uint8_t *mac);

/*
 * Fetch every OpenSSL algorithm the profiles use, run one derivation each
 * and draw from the DRBG, so that configuration files, providers and the
 * random seed are loaded now (before a sandbox forbids opening files).
 * 0, or -1 if OpenSSL lacks one.
 */
int kcrypto_preload(void);

#endif
