/* Unit tests for the sink table and the file sink. */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <event2/event.h>

#include "check_common.h"
#include "sink.h"

START_TEST(file_lines_and_reopen)
{
	char			 dir[] = "/tmp/kssink-XXXXXX", path[256], rot[256];
	struct output_conf	 oc = { "file", path, NULL, NULL, 0 };
	struct sink		*s;
	char			 err[256], *text;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/alerts.jsonl", dir);
	snprintf(rot, sizeof(rot), "%s/alerts.jsonl.1", dir);
	s = sink_open(&oc, NULL, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(sink_write(s, "{\"a\":1}", 7), 0);
	ck_assert_int_eq(sink_write(s, "{\"a\":2}", 7), 0);
	/* logrotate renames, then we reopen: new lines go to a new file */
	ck_assert_int_eq(rename(path, rot), 0);
	ck_assert_int_eq(sink_write(s, "{\"a\":3}", 7), 0);
	ck_assert_int_eq(sink_reopen(s), 0);
	ck_assert_int_eq(sink_write(s, "{\"a\":4}", 7), 0);
	ck_assert_uint_eq(s->written, 4);
	sink_close(s);
	text = ks_slurp(rot, NULL);
	ck_assert_str_eq(text, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
	free(text);
	text = ks_slurp(path, NULL);
	ck_assert_str_eq(text, "{\"a\":4}\n");
	free(text);
	unlink(path);
	unlink(rot);
	rmdir(dir);
}
END_TEST

START_TEST(failures_are_counted_not_fatal)
{
	struct output_conf	 oc = { "file", "/dev/full", NULL, NULL, 0 };
	struct sink		*s;
	char			 err[256];

	s = sink_open(&oc, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(sink_write(s, "{}", 2), -1);
	ck_assert_int_eq(sink_write(s, "{}", 2), -1);
	ck_assert_uint_eq(s->failed, 2);
	sink_close(s);
}
END_TEST

START_TEST(open_errors)
{
	struct output_conf	oc = { "file", "/nonexistent/dir/a.jsonl", NULL,
				    NULL, 0 };
	struct output_conf	bad = { "carrier-pigeon", "-", NULL, NULL, 0 };
	char			err[256];

	ck_assert_ptr_null(sink_open(&oc, NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/a.jsonl"));
	ck_assert_ptr_null(sink_open(&bad, NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "carrier-pigeon"));
}
END_TEST

/* A unix datagram socket at path, as a syslog daemon has. */
static int
listener(const char *path)
{
	struct sockaddr_un	sun;
	int			fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Runs the loop until the sink's backlog is empty (10 s at most). */
static void
deliver(struct event_base *b, struct sink *s)
{
	struct timeval	tv = { 0, 100000 };
	int		i;

	for (i = 0; i < 100 && sink_backlog(s) > 0; i++) {
		event_base_loopexit(b, &tv);
		event_base_dispatch(b);
	}
	ck_assert_uint_eq(sink_backlog(s), 0);
}

/* Receives n messages; each must end with {"n":i} for i = from.. */
static void
received(int fd, int from, int n)
{
	char	buf[4096], want[32];
	ssize_t	r;
	int	i;

	for (i = from; i < from + n; i++) {
		r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		ck_assert_int_gt(r, 0);
		buf[r] = '\0';
		snprintf(want, sizeof(want), ",\"n\":%d}", i);
		ck_assert_msg(strstr(buf, want) != NULL, "message %d: %s", i,
		    buf);
	}
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
}

static void
alert(struct sink *s, int n)
{
	char doc[128];

	snprintf(doc, sizeof(doc), "{\"rule\":{\"id\":\"r\"},\"keysentry\":"
	    "{\"severity\":\"high\"},\"n\":%d}", n);
	ck_assert_int_eq(sink_write_alert(s, doc, strlen(doc), 3, "r"), 0);
}

/*
 * The daemon's backlog: a collector that is not there yet; 2 alerts in
 * memory, the rest spooled, all delivered in order once it is there.
 * Then a stop with a backlog: kept in the spool (memory first), and the
 * next sink delivers it before anything new.
 */
START_TEST(backlog_spool_and_order)
{
	char			 dir[] = "/tmp/kssink-XXXXXX", sock[256];
	char			 state[256], spool[512], err[256], *text;
	struct output_conf	 oc;
	struct event_base	*b = event_base_new();
	struct sink		*s;
	int			 fd, i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "unix:%s/log", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	memset(&oc, 0, sizeof(oc));
	oc.type = "syslog";
	oc.path = "syslog:test";
	oc.address = sock;
	oc.facility = 16;
	oc.queue = 2;
	oc.spill_max = 1 << 20;
	snprintf(spool, sizeof(spool), "%s/spool/syslog_test.jsonl", state);

	s = sink_open(&oc, b, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	sink_set_spool(s, state);
	for (i = 0; i < 5; i++)
		alert(s, i);
	ck_assert_uint_eq(sink_backlog(s), 5);
	ck_assert_uint_eq(s->qlen, 2);
	ck_assert_uint_eq(s->spilled, 3);
	text = ks_slurp(spool, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"n\":2}\n{"));
	free(text);
	fd = listener(sock + 5);
	deliver(b, s);
	received(fd, 0, 5);
	ck_assert_int_eq(access(spool, F_OK), -1);	/* emptied: removed */
	ck_assert_uint_eq(s->written, 5);

	/* a stop with 3 waiting: all kept, in order */
	close(fd);
	unlink(sock + 5);
	for (i = 5; i < 8; i++)
		alert(s, i);
	ck_assert_uint_eq(sink_backlog(s), 3);
	sink_close(s);
	text = ks_slurp(spool, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"n\":5}\n"));
	ck_assert_ptr_nonnull(strstr(text, "\"n\":6}\n"));
	ck_assert(strstr(text, "\"n\":5}") < strstr(text, "\"n\":7}"));
	free(text);
	/* the next start: the kept ones first, then a new one */
	fd = listener(sock + 5);
	s = sink_open(&oc, b, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	sink_set_spool(s, state);
	ck_assert_uint_eq(sink_backlog(s), 3);
	alert(s, 8);		/* after them */
	deliver(b, s);
	received(fd, 5, 4);
	sink_close(s);

	/*
	 * A reload: the new output opens before the old one closes (and
	 * writes its backlog to the spool); the new one delivers that
	 * first, then its own.
	 */
	close(fd);
	unlink(sock + 5);
	s = sink_open(&oc, b, err, sizeof(err));
	sink_set_spool(s, state);
	for (i = 9; i < 12; i++)
		alert(s, i);
	{
		struct sink *s2 = sink_open(&oc, b, err, sizeof(err));
		ck_assert_ptr_nonnull(s2);
		sink_set_spool(s2, state);
		sink_close(s);
		s = s2;
	}
	alert(s, 12);
	fd = listener(sock + 5);
	deliver(b, s);
	received(fd, 9, 4);
	sink_close(s);
	close(fd);
	event_base_free(b);
	ks_rmtree(dir);
}
END_TEST

static Suite *
sink_suite(void)
{
	Suite	*s = suite_create("sink");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, file_lines_and_reopen);
	tcase_add_test(tc, failures_are_counted_not_fatal);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, backlog_spool_and_order);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(sink_suite)
