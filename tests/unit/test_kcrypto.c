/*
 * test_kcrypto.c - common/kcrypto.c against published answers and against
 * MIT's own crypto library.
 *
 * Trust zone: tests only.  Three tables and one differential:
 *  - RFC 3962 appendix B string-to-key: PBKDF2-HMAC-SHA1, then our
 *    DK(tkey, "kerberos") (the RFC 3961 derivation the profile uses for
 *    Ke/Ki/Kc) must give the published keys;
 *  - RFC 8009 appendix A: Kc, Ke, Ki for usage 2, the four sample
 *    encryptions per enctype (decrypt, then re-encrypt with the recovered
 *    confounder must give the published ciphertext) and the checksums;
 *  - the aes-sha1 encryption samples of MIT's t_decrypt.c (RFC 3962 has
 *    none with the HMAC; these pin CTS at 0, 1, 9, 13 and 30 octets);
 *  - libkrb5 (krb5_c_encrypt / krb5_c_decrypt / krb5_c_make_checksum) as
 *    the oracle for random keys, usages 22/24 and random lengths: what we
 *    encrypt it decrypts, what it encrypts we decrypt, checksums equal,
 *    and a flipped octet is refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <krb5.h>
#include <openssl/evp.h>

#include "../../common/kcrypto.h"
#include "tap.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (hex[0] != '\0' && hex[1] != '\0') {
		unsigned v;

		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		if (n >= cap || sscanf(hex, "%2x", &v) != 1) {
			printf("Bail out! bad hex in the test table\n");
			exit(1);
		}
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

/* RFC 3962 appendix B. */
static const struct {
	int32_t enctype;
	const char *password;
	const char *salt;
	int iterations;
	const char *key;
} str2key[] = {
	{ 17, "password", "ATHENA.MIT.EDUraeburn", 1, "42263c6e89f4fc28b8df68ee09799f15" },
	{ 18, "password", "ATHENA.MIT.EDUraeburn", 1,
	  "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161" },
	{ 17, "password", "ATHENA.MIT.EDUraeburn", 2, "c651bf29e2300ac27fa469d693bdda13" },
	{ 18, "password", "ATHENA.MIT.EDUraeburn", 2,
	  "a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff" },
	{ 17, "password", "ATHENA.MIT.EDUraeburn", 1200, "4c01cd46d632d01e6dbe230a01ed642a" },
	{ 18, "password", "ATHENA.MIT.EDUraeburn", 1200,
	  "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a" },
	{ 17, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
	  "pass phrase equals block size", 1200, "59d1bb789a828b1aa54ef9c2883f69ed" },
	{ 18, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
	  "pass phrase equals block size", 1200,
	  "89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34" },
	{ 17, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
	  "pass phrase exceeds block size", 1200, "cb8005dc5f90179a7f02104c0018751d" },
	{ 18, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
	  "pass phrase exceeds block size", 1200,
	  "d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b" },
	{ 17, "\xf0\x9d\x84\x9e", "EXAMPLE.COMpianist", 50, "f149c1f2e154a73452d43e7fe62a56e5" },
};

/* RFC 8009 appendix A (and MIT t_derive.c for the aes-sha1 rows). */
static const struct {
	int32_t enctype;
	const char *key;
	const char *constant;
	const char *out;
} derive[] = {
	{ 17, "42263c6e89f4fc28b8df68ee09799f15", "0000000299", "34280a382bc92769b2da2f9ef066854b" },
	{ 17, "42263c6e89f4fc28b8df68ee09799f15", "00000002aa", "5b14fc4e250e14ddf9dccf1af6674f53" },
	{ 17, "42263c6e89f4fc28b8df68ee09799f15", "0000000255", "4ed31063621684f09ae8d89991af3e8f" },
	{ 18, "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161", "0000000299",
	  "bfab388bdcb238e9f9c98d6a878304f04d30c82556375ac507a7a852790f4674" },
	{ 18, "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161", "00000002aa",
	  "c7cfd9cd75fe793a586a542d87e0d1396f1134a104bb1a9190b8c90ada3ddf37" },
	{ 18, "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161", "0000000255",
	  "97151b4c76945063e2eb0529dc067d97d7bba90776d8126d91f34f3101aea8ba" },
	{ 19, "3705d96080c17728a0e800eab6e0d23c", "0000000299", "b31a018a48f54776f403e9a396325dc3" },
	{ 19, "3705d96080c17728a0e800eab6e0d23c", "00000002aa", "9b197dd1e8c5609d6e67c3e37c62c72e" },
	{ 19, "3705d96080c17728a0e800eab6e0d23c", "0000000255", "9fda0e56ab2d85e1569a688696c26a6c" },
	{ 20, "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52", "0000000299",
	  "ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d" },
	{ 20, "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52", "00000002aa",
	  "56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49" },
	{ 20, "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52", "0000000255",
	  "69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f" },
};

/* RFC 8009 appendix A sample encryptions (usage 2) and MIT t_decrypt.c's
 * aes-sha1 samples; ciphertext = E(confounder | plaintext) | HMAC. */
static const struct {
	int32_t enctype;
	uint32_t usage;
	const char *key;
	const char *plain;
	const char *cipher;
} encrypt_cases[] = {
	{ 19, 2, "3705d96080c17728a0e800eab6e0d23c", "",
	  "ef85fb890bb8472f4dab20394dca781dad877eda39d50c870c0d5a0a8e48c718" },
	{ 19, 2, "3705d96080c17728a0e800eab6e0d23c", "000102030405",
	  "84d7f30754ed987bab0bf3506beb09cfb55402cef7e6877ce99e247e52d16ed4421dfdf8976c" },
	{ 19, 2, "3705d96080c17728a0e800eab6e0d23c", "000102030405060708090a0b0c0d0e0f",
	  "3517d640f50ddc8ad3628722b3569d2ae07493fa8263254080ea65c1008e8fc2"
	  "95fb4852e7d83e1e7c48c37eebe6b0d3" },
	{ 19, 2, "3705d96080c17728a0e800eab6e0d23c", "000102030405060708090a0b0c0d0e0f1011121314",
	  "720f73b18d9859cd6ccb4346115cd336c70f58edc0c4437c5573544c31c813bc"
	  "e1e6d072c186b39a413c2f92ca9b8334a287ffcbfc" },
	{ 20, 2, "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52", "",
	  "41f53fa5bfe7026d91faf9be959195a058707273a96a40f0a01960621ac612748b9bbfbe7eb4ce3c" },
	{ 20, 2, "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52", "000102030405",
	  "4ed7b37c2bcac8f74f23c1cf07e62bc7b75fb3f637b9f559c7f664f69eab7b60"
	  "92237526ea0d1f61cb20d69d10f2" },
	{ 20, 2, "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52",
	  "000102030405060708090a0b0c0d0e0f",
	  "bc47ffec7998eb91e8115cf8d19dac4bbbe2e163e87dd37f49beca92027764f6"
	  "8cf51f14d798c2273f35df574d1f932e40c4ff255b36a266" },
	{ 20, 2, "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52",
	  "000102030405060708090a0b0c0d0e0f1011121314",
	  "40013e2df58e8751957d2878bcd2d6fe101ccfd556cb1eae79db3c3ee86429f2"
	  "b2a602ac86fef6ecb647d6295fae077a1feb517508d2c16b4192e01f62" },
	{ 17, 0, "5a5c0f0ba54f3828b2195e66ca24a289", "",
	  "49ff8e11c173d9583a3254fbe7b1f1df36c538e8416784a1672e6676" },
	{ 17, 1, "98450e3f3baa13f5c99beb936981b06f", "31",
	  "f86742f537b35dc2174a4dbaa920faf9042090b065e1ebb1cad9a65394" },
	{ 17, 2, "9062430c8cda3388922e6d6a509f5b7a", "392062797465737373",
	  "68fb9679601f45c78857b2bf820fd6e53eca8d42fd4b1d7024a09205abb7cd2ec26c355d2f" },
	{ 17, 3, "033ee6502c54fd23e27791e987983827", "31332062797465732062797465",
	  "ec366d0327a933bf49330e650e49bc6b974637fe80bf532fe51795b4809718e6194724db948d1fd637" },
	{ 17, 4, "dceeb70b3de76562e689226c76429148",
	  "333020627974657320627974657320627974657320627974657320627974",
	  "c96081032d5d8eeb7e32b4089f789d0faa481dea74c0f97cbf3146ddfcf8e800"
	  "156ecb532fc203e30ff600b63b350939fece510f02d7ff1e7bac" },
	{ 18, 0, "17f275f2954f2ed1f90c377ba7f4d6a369aa0136e0bf0c927ad6133c693759a9", "",
	  "e5094c55ee7b38262e2b044280b069379a95bf95bd8376fb3281b435" },
	{ 18, 1, "b9477e1ff0329c0050e20ce6c72d2dff27e8fe541ab0954429a9cb5b4f7b1e2a", "31",
	  "406150b97aeb76d43b36b62cc1ecdfbe6f40e95755e0beb5c27825f3a4" },
	{ 18, 2, "b1ae4cd8462aff1677053cc9279aac30b796fb81ce21474dd3ddbcfea4ec76d7",
	  "392062797465737373",
	  "09957aa25fcaf88f7b39e4406e633012d5fea21853f6478da7065caef41fd454a40824eec5" },
	{ 18, 3, "e5a72be9b7926c1225bafef9c1872e7ba4cdb2b17893d84abd90acdd8764d966",
	  "31332062797465732062797465",
	  "d8f1aafeec84587cc3e700a774e56651a6d693e174ec4473b5e6d96f80297a653fb818ad893e719f96" },
	{ 18, 4, "f1c795e9248a09338d82c3f8d5b567040b0110736845041347235b1404231398",
	  "333020627974657320627974657320627974657320627974657320627974",
	  "d1137a4d634cfece924dbc3bf6790648bd5cff7de0e7b99460211d0daef3d79a"
	  "295c688858f3b34b9cbd6eebae81daf6b734d4d498b6714f1c1d" },
};

/* RFC 8009 appendix A checksums (usage 2). */
static const struct {
	int32_t enctype;
	const char *key;
	const char *data;
	const char *mac;
} checksum_cases[] = {
	{ 19, "3705d96080c17728a0e800eab6e0d23c", "000102030405060708090a0b0c0d0e0f1011121314",
	  "d78367186643d67b411cba9139fc1dee" },
	{ 20, "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52",
	  "000102030405060708090a0b0c0d0e0f1011121314",
	  "45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a" },
};

static void test_str2key(void)
{
	static const uint8_t kerberos[] = "kerberos";

	for (size_t i = 0; i < sizeof(str2key) / sizeof(str2key[0]); i++) {
		uint8_t tkey[32], key[32], want[32];
		size_t len = unhex(str2key[i].key, want, sizeof(want));

		if (PKCS5_PBKDF2_HMAC_SHA1(str2key[i].password, (int)strlen(str2key[i].password),
					   (const uint8_t *)str2key[i].salt,
					   (int)strlen(str2key[i].salt), str2key[i].iterations,
					   (int)len, tkey) != 1) {
			ok(false, "RFC 3962 string-to-key %zu: PBKDF2", i);
			continue;
		}
		ok(kcrypto_derive(str2key[i].enctype, tkey, len, kerberos, 8, key, len) == 0 &&
			   memcmp(key, want, len) == 0,
		   "RFC 3962 string-to-key %zu (%s, %d iterations): DK(tkey, \"kerberos\")",
		   i, kcrypto_name(str2key[i].enctype), str2key[i].iterations);
	}
}

static void test_derive(void)
{
	for (size_t i = 0; i < sizeof(derive) / sizeof(derive[0]); i++) {
		uint8_t key[32], constant[5], want[48], got[48];
		size_t key_len = unhex(derive[i].key, key, sizeof(key));
		size_t c_len = unhex(derive[i].constant, constant, sizeof(constant));
		size_t len = unhex(derive[i].out, want, sizeof(want));

		ok(kcrypto_derive(derive[i].enctype, key, key_len, constant, c_len, got, len) == 0 &&
			   memcmp(got, want, len) == 0,
		   "%s: derived key for constant %s", kcrypto_name(derive[i].enctype),
		   derive[i].constant);
	}
}

static void test_encrypt(void)
{
	for (size_t i = 0; i < sizeof(encrypt_cases) / sizeof(encrypt_cases[0]); i++) {
		uint8_t key[32], plain[64], cipher[128], buf[128], mac[KCRYPTO_MAC_MAX];
		int32_t et = encrypt_cases[i].enctype;
		size_t key_len, plain_len, cipher_len, mac_len = kcrypto_mac_len(et), body;
		struct kcrypto_usage *u;
		bool good;

		key_len = unhex(encrypt_cases[i].key, key, sizeof(key));
		plain_len = unhex(encrypt_cases[i].plain, plain, sizeof(plain));
		cipher_len = unhex(encrypt_cases[i].cipher, cipher, sizeof(cipher));
		u = kcrypto_usage_new(et, key, key_len, encrypt_cases[i].usage);
		body = cipher_len - mac_len;
		memcpy(buf, cipher, body);
		good = u != NULL && body == 16 + plain_len &&
		       kcrypto_decrypt(u, buf, body, cipher + body) == 0 &&
		       memcmp(buf + 16, plain, plain_len) == 0;
		ok(good, "%s usage %u, %zu octets: sample decrypts to the plaintext",
		   kcrypto_name(et), (unsigned)encrypt_cases[i].usage, plain_len);
		/* buf now holds confounder | plaintext: encrypting it again must
		 * reproduce the sample exactly. */
		good = good && kcrypto_encrypt(u, buf, body, mac) == 0 &&
		       memcmp(buf, cipher, body) == 0 && memcmp(mac, cipher + body, mac_len) == 0;
		ok(good, "%s usage %u, %zu octets: same confounder encrypts to the sample",
		   kcrypto_name(et), (unsigned)encrypt_cases[i].usage, plain_len);
		if (u != NULL) {
			memcpy(buf, cipher, body);
			buf[body / 2] ^= 0x01;
			ok(kcrypto_decrypt(u, buf, body, cipher + body) < 0,
			   "%s: sample with one flipped bit is refused", kcrypto_name(et));
		}
		kcrypto_usage_free(u);
	}
}

static void test_checksum(void)
{
	for (size_t i = 0; i < sizeof(checksum_cases) / sizeof(checksum_cases[0]); i++) {
		uint8_t key[32], data[64], want[32], got[KCRYPTO_MAC_MAX];
		int32_t et = checksum_cases[i].enctype;
		size_t key_len = unhex(checksum_cases[i].key, key, sizeof(key));
		size_t data_len = unhex(checksum_cases[i].data, data, sizeof(data));
		size_t mac_len = unhex(checksum_cases[i].mac, want, sizeof(want));
		struct kcrypto_usage *u = kcrypto_usage_new(et, key, key_len, 2);

		ok(u != NULL && mac_len == kcrypto_mac_len(et) &&
			   kcrypto_checksum(u, data, 10, data + 10, data_len - 10, got) == 0 &&
			   memcmp(got, want, mac_len) == 0 &&
			   kcrypto_verify(u, data, data_len, NULL, 0, want) == 0,
		   "%s: RFC 8009 checksum sample", kcrypto_name(et));
		kcrypto_usage_free(u);
	}
}

/* libkrb5 as the oracle, random keys and lengths. */
static void test_against_krb5(void)
{
	static const int32_t enctypes[] = { 17, 18, 19, 20 };
	static uint8_t buf[4200], plain[4200], mac[KCRYPTO_MAC_MAX];
	krb5_context k5;
	unsigned seed = 4121;

	if (krb5_init_context(&k5) != 0) {
		ok(false, "krb5_init_context");
		return;
	}
	for (size_t e = 0; e < 4; e++) {
		int32_t et = enctypes[e];
		size_t mac_len = kcrypto_mac_len(et);
		unsigned failures = 0, cases = 0;

		for (int round = 0; round < 200; round++) {
			krb5_keyblock kb;
			krb5_data in, out;
			krb5_enc_data enc;
			krb5_checksum sum;
			krb5_cksumtype ct;
			krb5_boolean valid = 0;
			size_t n = round < 40 ? (size_t)round : (size_t)rand_r(&seed) % 4096;
			uint32_t usage = (round & 1) ? 22 : 24;
			struct kcrypto_usage *u;
			size_t enclen;

			if (krb5_c_make_random_key(k5, et, &kb) != 0) {
				failures++;
				continue;
			}
			u = kcrypto_usage_new(et, kb.contents, kb.length, usage);
			for (size_t i = 0; i < n; i++)
				plain[i] = (uint8_t)rand_r(&seed);
			cases++;
			/* ours -> krb5 */
			for (size_t i = 0; i < 16; i++)
				buf[i] = (uint8_t)rand_r(&seed);
			memcpy(buf + 16, plain, n);
			if (u == NULL || kcrypto_encrypt(u, buf, 16 + n, buf + 16 + n) < 0) {
				failures++;
				goto next;
			}
			enc.enctype = et;
			enc.kvno = 0;
			enc.ciphertext.data = (char *)buf;
			enc.ciphertext.length = (unsigned)(16 + n + mac_len);
			out.length = (unsigned)(16 + n + mac_len);
			out.data = malloc(out.length);
			if (krb5_c_decrypt(k5, &kb, usage, NULL, &enc, &out) != 0 || out.length != n ||
			    (n > 0 && memcmp(out.data, plain, n) != 0))
				failures++;
			free(out.data);
			/* krb5 -> ours */
			in.data = (char *)plain;
			in.length = (unsigned)n;
			if (krb5_c_encrypt_length(k5, et, n, &enclen) != 0 || enclen != 16 + n + mac_len) {
				failures++;
				goto next;
			}
			enc.ciphertext.data = (char *)buf;
			enc.ciphertext.length = (unsigned)enclen;
			if (krb5_c_encrypt(k5, &kb, usage, NULL, &in, &enc) != 0 ||
			    kcrypto_decrypt(u, buf, 16 + n, buf + 16 + n) != 0 ||
			    memcmp(buf + 16, plain, n) != 0)
				failures++;
			/* a flipped octet anywhere is refused */
			if (krb5_c_encrypt(k5, &kb, usage, NULL, &in, &enc) == 0) {
				buf[(size_t)rand_r(&seed) % enclen] ^= (uint8_t)(1 + rand_r(&seed) % 255);
				if (kcrypto_decrypt(u, buf, 16 + n, buf + 16 + n) == 0)
					failures++;
			}
			/* checksums */
			ct = et == 17 ? 15 : et == 18 ? 16 : et;   /* RFC 3962, RFC 8009 */
			if (krb5_c_make_checksum(k5, ct, &kb, usage, &in, &sum) != 0) {
				failures++;
				goto next;
			}
			if (kcrypto_checksum(u, plain, n / 2, plain + n / 2, n - n / 2, mac) != 0 ||
			    sum.length != mac_len || memcmp(mac, sum.contents, mac_len) != 0)
				failures++;
			sum.contents[0] ^= 1;
			if (kcrypto_verify(u, plain, n, NULL, 0, sum.contents) == 0)
				failures++;
			krb5_free_checksum_contents(k5, &sum);
			valid = 1;
next:
			(void)valid;
			kcrypto_usage_free(u);
			krb5_free_keyblock_contents(k5, &kb);
		}
		ok(failures == 0, "%s: %u random keys and lengths agree with libkrb5 "
		   "(encrypt both ways, checksums, tampering)", kcrypto_name(et), cases);
	}
	krb5_free_context(k5);
}

int main(void)
{
	ok(kcrypto_preload() == 0, "OpenSSL has KRB5KDF, KBKDF, AES-CBC-CTS and HMAC");
	test_str2key();
	test_derive();
	test_encrypt();
	test_checksum();
	test_against_krb5();
	ok(!kcrypto_supported(16) && !kcrypto_supported(23) && !kcrypto_supported(25),
	   "des3, rc4 and camellia are not handled");
	return done_testing();
}
