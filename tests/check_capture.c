/*
 * capture.c: the drop watch behind capture-drops, and opening live
 * captures (on lo when we may; what a refusal says when we may not).
 */
#include "autoconfig.h"

#include <pcap/pcap.h>

#include "check_common.h"
#include "capture.h"
#include "config.h"

#define S	INT64_C(1000000000)

START_TEST(dropwatch_threshold_window_cooldown)
{
	struct dropwatch	dw;
	int64_t			first = -1, t0 = 1000 * S;

	memset(&dw, 0, sizeof(dw));
	/* 60 s window (2 s buckets), threshold 10, cooldown 300 s */
	ck_assert_uint_eq(dropwatch_add(&dw, t0, 0, 60 * S, 10, 300 * S,
	    &first), 0);
	ck_assert_uint_eq(dropwatch_add(&dw, t0 + 1 * S, 4, 60 * S, 10,
	    300 * S, &first), 0);
	ck_assert_uint_eq(dropwatch_add(&dw, t0 + 20 * S, 5, 60 * S, 10,
	    300 * S, &first), 0);
	ck_assert_int_eq(first, -1);		/* untouched until an alert */
	/* the tenth drop within the window: due, with all of them */
	ck_assert_uint_eq(dropwatch_add(&dw, t0 + 30 * S, 1, 60 * S, 10,
	    300 * S, &first), 10);
	ck_assert_int_eq(first, t0);		/* the first drop's bucket */
	/* more drops, but within the cooldown */
	ck_assert_uint_eq(dropwatch_add(&dw, t0 + 40 * S, 50, 60 * S, 10,
	    300 * S, &first), 0);
	/* after the cooldown, only what is within the window counts */
	ck_assert_uint_eq(dropwatch_add(&dw, t0 + 331 * S, 0, 60 * S, 10,
	    300 * S, &first), 0);
	ck_assert_uint_eq(dropwatch_add(&dw, t0 + 332 * S, 9, 60 * S, 10,
	    300 * S, &first), 0);
	ck_assert_uint_eq(dropwatch_add(&dw, t0 + 390 * S, 1, 60 * S, 10,
	    300 * S, &first), 10);
	ck_assert_int_eq(first, t0 + 332 * S);
}
END_TEST

/* Old drops leave the window one bucket at a time, and never linger. */
START_TEST(dropwatch_forgets)
{
	struct dropwatch	dw;
	int64_t			first, t;
	uint64_t		n;

	memset(&dw, 0, sizeof(dw));
	ck_assert_uint_eq(dropwatch_add(&dw, 5000 * S, 7, 30 * S, 8, 0,
	    &first), 0);
	/* one drop a second later, for a while: 8 within 30 s at once */
	n = dropwatch_add(&dw, 5001 * S, 1, 30 * S, 8, 0, &first);
	ck_assert_uint_eq(n, 8);
	/* far later: the old ones are gone */
	for (t = 5100; t < 5200; t++)
		ck_assert_uint_eq(dropwatch_add(&dw, t * S, t % 10 == 0, 30 *
		    S, 8, 0, &first), 0);
	/* a new window length starts over */
	ck_assert_uint_eq(dropwatch_add(&dw, 5200 * S, 5, 600 * S, 8, 0,
	    &first), 0);
	ck_assert_uint_eq(dropwatch_add(&dw, 5500 * S, 3, 600 * S, 8, 0,
	    &first), 8);
	ck_assert_uint_eq(dropwatch_add(&dw, 5900 * S, 0, 600 * S, 8, 0,
	    &first), 0);		/* 5200 s left the window */
}
END_TEST

static struct source_conf
lo_source(const char *iface, const char *filter)
{
	struct source_conf sc;

	memset(&sc, 0, sizeof(sc));
	sc.type = SOURCE_PCAP;
	sc.interface = (char *)iface;
	sc.filter = (char *)filter;
	sc.snaplen = 65535;
	sc.response_timeout = 30 * S;
	return sc;
}

START_TEST(no_such_interface)
{
	struct config		*cfg = config_default("x.yml");
	struct source_conf	 sc = lo_source("ks-none0", "tcp port 3110");
	char			 err[1024] = "";

	ck_assert_ptr_null(capture_open(&sc, cfg, err, sizeof(err)));
	ck_assert_msg(strncmp(err, "pcap:ks-none0: ", 15) == 0, "%s", err);
	/* as root: there is none; otherwise: not permitted, and how to be */
	if (geteuid() == 0)
		ck_assert_msg(strstr(err, "no such interface") != NULL, "%s",
		    err);
	else
		ck_assert_msg(strstr(err, "no such interface") != NULL ||
		    strstr(err, "CAP_NET_RAW") != NULL, "%s", err);
	config_free(cfg);
}
END_TEST

/* On lo, when this process may capture: the handle and its filters. */
START_TEST(open_lo)
{
	struct config		*cfg = config_default("x.yml");
	struct source_conf	 sc = lo_source("lo", "tcp port 3110");
	struct capture		*c;
	struct capture_stats	 st;
	char			 err[1024] = "";

	if ((c = capture_open(&sc, cfg, err, sizeof(err))) == NULL) {
		ck_assert_msg(strstr(err, "CAP_NET_RAW") != NULL, "%s", err);
		printf("open_lo: %s: skipped\n", err);
		config_free(cfg);
		return;
	}
	capture_stats(c, &st);
	ck_assert_str_eq(st.name, "pcap:lo");
	ck_assert_str_eq(st.interface, "lo");
	ck_assert_uint_eq(st.read, 0);
	ck_assert(capture_same_handle(c, &sc));
	sc.snaplen = 1500;
	ck_assert(!capture_same_handle(c, &sc));
	sc.snaplen = 65535;
	/* a filter that does not compile leaves the old one */
	sc.filter = "tcp prot 1";
	ck_assert_int_eq(capture_configure(c, &sc, cfg, 0, err, sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, "pcap:lo: filter \"tcp prot 1\"") != NULL,
	    "%s", err);
	sc.filter = "tcp port 3111";
	ck_assert_int_eq(capture_configure(c, &sc, cfg, 0, err, sizeof(err)),
	    0);
	capture_tick(c, 1);
	capture_close(c);
	config_free(cfg);
}
END_TEST

static Suite *
capture_suite(void)
{
	Suite	*s = suite_create("capture");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, dropwatch_threshold_window_cooldown);
	tcase_add_test(tc, dropwatch_forgets);
	tcase_add_test(tc, no_such_interface);
	tcase_add_test(tc, open_lo);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(capture_suite)
