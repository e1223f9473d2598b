/* Unit tests for addr.c. */
#include "autoconfig.h"

#include "addr.h"
#include "util.h"
#include "check_common.h"

static void
roundtrip(const char *in, const char *want)
{
	struct ks_addr	a;
	char		buf[ADDR_STRLEN];

	ck_assert_msg(addr_parse(in, strlen(in), &a) == 0, "parse %s", in);
	addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

START_TEST(parse_and_format)
{
	roundtrip("10.89.1.10", "10.89.1.10");
	roundtrip("fd00:89::10", "fd00:89::10");
	roundtrip("FD00:0089:0000::0010", "fd00:89::10");
	roundtrip("::ffff:10.89.1.10", "10.89.1.10");	/* v4-mapped */
	roundtrip("fe80::1%eth0", "fe80::1");
}
END_TEST

START_TEST(rejects)
{
	static const char *bad[] = {
		"", "10.89.1", "10.89.1.256", "10.89.1.10 ", "ciam-athena",
		"1::2::3", "10.0.0.1/8",
		"0123456789012345678901234567890123456789012345678901",
	};
	struct ks_addr	a;
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(addr_parse(bad[i], strlen(bad[i]), &a) == -1,
		    "accepted %s", bad[i]);
}
END_TEST

START_TEST(hostport)
{
	struct ks_addr	a;
	uint16_t	port;
	char		buf[ADDR_STRLEN];

	ck_assert_int_eq(addr_parse_hostport("10.0.0.1:5000", 13, &a, &port),
	    0);
	ck_assert_uint_eq(port, 5000);
	ck_assert_int_eq(addr_parse_hostport("[fd00::1]:443", 13, &a, &port),
	    0);
	ck_assert_uint_eq(port, 443);
	addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "fd00::1");
	ck_assert_int_eq(addr_parse_hostport("[fd00::1]", 9, &a, &port), 0);
	ck_assert_uint_eq(port, 0);
	ck_assert_int_eq(addr_parse_hostport("fd00::1", 7, &a, &port), 0);
	ck_assert_uint_eq(a.family, 6);
	ck_assert_int_eq(addr_parse_hostport("10.0.0.1:99999", 14, &a, &port),
	    -1);
	ck_assert_int_eq(addr_parse_hostport("[fd00::1", 8, &a, &port), -1);
	ck_assert_int_eq(addr_parse_hostport("[fd00::1]x", 10, &a, &port),
	    -1);
	/* the length is honoured: nothing past it is read */
	ck_assert_int_eq(addr_parse_hostport("10.0.0.1:80garbage", 11, &a,
	    &port), 0);
	ck_assert_uint_eq(port, 80);
}
END_TEST

START_TEST(cidr)
{
	struct ks_cidr	c;
	struct ks_addr	a;
	char		buf[64];

	ck_assert_int_eq(cidr_parse("10.89.1.0/24", 12, &c), 0);
	addr_parse("10.89.1.200", 11, &a);
	ck_assert(cidr_contains(&c, &a));
	addr_parse("10.89.2.1", 9, &a);
	ck_assert(!cidr_contains(&c, &a));
	addr_parse("fd00::1", 7, &a);
	ck_assert(!cidr_contains(&c, &a));	/* other family */

	ck_assert_int_eq(cidr_parse("10.89.1.10/21", 13, &c), 0);
	cidr_format(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.89.0.0/21");	/* host bits cleared */
	addr_parse("10.89.7.255", 11, &a);
	ck_assert(cidr_contains(&c, &a));
	addr_parse("10.89.8.0", 9, &a);
	ck_assert(!cidr_contains(&c, &a));

	ck_assert_int_eq(cidr_parse("fd00:89::10/128", 15, &c), 0);
	addr_parse("fd00:89::10", 11, &a);
	ck_assert(cidr_contains(&c, &a));
	addr_parse("fd00:89::11", 11, &a);
	ck_assert(!cidr_contains(&c, &a));

	ck_assert_int_eq(cidr_parse("0.0.0.0/0", 9, &c), 0);
	addr_parse("192.0.2.1", 9, &a);
	ck_assert(cidr_contains(&c, &a));
	ck_assert_int_eq(cidr_parse("10.0.0.1", 8, &c), 0);
	ck_assert_uint_eq(c.plen, 32);

	ck_assert_int_eq(cidr_parse("10.0.0.0/33", 11, &c), -1);
	ck_assert_int_eq(cidr_parse("10.0.0.0/", 9, &c), -1);
	ck_assert_int_eq(cidr_parse("10.0.0.0/x", 10, &c), -1);
	ck_assert_int_eq(cidr_parse("fd00::/129", 10, &c), -1);
	ck_assert_int_eq(cidr_parse("::ffff:10.0.0.0/104", 19, &c), -1);
}
END_TEST

START_TEST(hostnames)
{
	static const char *good[] = {
		"ciam-athena", "ciam_athena", "ciam-athena.test",
		"ciam-athena.internal.", "a", "x1", "1x", "10.0.0.1x",
		"a.b.c.d.e.f", "ns1.example.org",
	};
	static const char *bad[] = {
		"", ".", "a..b", ".a", "-a", "a-", "a-.b", "a b", "a/b",
		"a:b", "10.0.0.1", "10.89.1.300", "300", "1.2.3",
		"fd00::1", "a*", "ciam-athena:3110",
	};
	char	long_label[70], long_name[300];
	size_t	i;

	for (i = 0; i < KS_ARRAY_LEN(good); i++)
		ck_assert_msg(hostname_valid(good[i]), "%s", good[i]);
	for (i = 0; i < KS_ARRAY_LEN(bad); i++)
		ck_assert_msg(!hostname_valid(bad[i]), "%s", bad[i]);
	memset(long_label, 'a', 63);
	long_label[63] = '\0';
	ck_assert(hostname_valid(long_label));
	long_label[63] = 'a';
	long_label[64] = '\0';
	ck_assert(!hostname_valid(long_label));	/* a label of 64 */
	for (i = 0; i < 250; i += 2)
		memcpy(long_name + i, "a.", 2);
	long_name[250] = 'a';
	long_name[251] = '\0';
	ck_assert(hostname_valid(long_name));		/* 251 */
	memcpy(long_name + 251, ".aa", 4);
	ck_assert(!hostname_valid(long_name));		/* 254 */
}
END_TEST

START_TEST(addrsets)
{
	struct ks_addrset	s = { NULL, 0 };
	struct ks_addr		a, b, m, none;

	addr_parse("10.0.0.5", 8, &a);
	addr_parse("fd00::5", 7, &b);
	addr_parse("::ffff:10.0.0.5", 15, &m);
	memset(&none, 0, sizeof(none));
	ck_assert(!addrset_contains(&s, &a));
	ck_assert_int_eq(addrset_add(&s, &a), 1);
	ck_assert_int_eq(addrset_add(&s, &m), 0);	/* the same address */
	ck_assert_int_eq(addrset_add(&s, &none), 0);	/* no address */
	ck_assert_int_eq(addrset_add(&s, &b), 1);
	ck_assert_uint_eq(s.n, 2);
	ck_assert(addrset_contains(&s, &m));
	ck_assert(addrset_contains(&s, &b));
	ck_assert(!addrset_contains(&s, &none));
	addrset_clear(&s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert(!addrset_contains(&s, &a));
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite	*s = suite_create("addr");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, parse_and_format);
	tcase_add_test(tc, rejects);
	tcase_add_test(tc, hostport);
	tcase_add_test(tc, cidr);
	tcase_add_test(tc, hostnames);
	tcase_add_test(tc, addrsets);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(addr_suite)
