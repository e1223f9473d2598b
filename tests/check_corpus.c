/*
 * Optional tests over real logs that nobody on this team wrote
 * (../shared/corpus, see its SOURCES.md).  Exit 77 (skipped) when the
 * corpus is absent, as on CI.  KS_CORPUS overrides the location.
 */
#include "autoconfig.h"

#include <jansson.h>
#include <sys/stat.h>

#include "check_common.h"
#include "decode.h"

static char corpus[4096];

static FILE *
open_log(const char *rel)
{
	char path[8192];

	snprintf(path, sizeof(path), "%s/logs/%s", corpus, rel);
	return fopen(path, "r");
}

/* The record's length, without its newline or a CR before it. */
static size_t
reclen(const char *line)
{
	size_t n = strcspn(line, "\n");

	if (n > 0 && line[n - 1] == '\r')
		n--;
	return n;
}

static struct decoder *
dec(const char *format)
{
	struct decoder_opts	 o;
	char			 err[256];
	struct decoder		*d;

	memset(&o, 0, sizeof(o));
	o.format = format;
	d = decoder_new(&o, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	return d;
}

/*
 * Caddy JSON access logs: every line decodes, and the fields agree with
 * what jansson reads from the same line.
 */
START_TEST(caddy_agrees_with_jansson)
{
	static const char	*files[] = {
		"crowdsec-hub/caddy-logs/caddy-logs.log",
		"crowdsec-hub/caddy-basic-auth-bf/caddy-logs.log",
	};
	struct decoder		*d = dec("caddy"), *a = dec("auto");
	char			 line[65536], ip[64];
	struct event		 ev;
	struct decode_error	 err;
	size_t			 i;
	int			 n = 0;

	for (i = 0; i < 2; i++) {
		FILE *f = open_log(files[i]);
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			json_error_t	 je;
			json_t		*doc = json_loads(line, 0, &je), *req;
			struct decoder	*which[2] = { d, a };
			int		 k;

			if (doc == NULL)
				continue;
			req = json_object_get(doc, "request");
			if (req == NULL) {
				/* Caddy's other loggers: not access records */
				ck_assert_int_eq(decoder_decode(d, line,
				    reclen(line), &ev, &err),
				    DECODE_IGNORE);
				json_decref(doc);
				continue;
			}
			for (k = 0; k < 2; k++) {
				ck_assert_int_eq(decoder_decode(which[k], line,
				    reclen(line), &ev, &err),
				    DECODE_EVENT);
				addr_format(&ev.src, ip, sizeof(ip));
				ck_assert_str_eq(ip, json_string_value(
				    json_object_get(req, "remote_ip")));
				ck_assert_str_eq(ev.method, json_string_value(
				    json_object_get(req, "method")));
				ck_assert_int_eq(ev.status, json_integer_value(
				    json_object_get(doc, "status")));
				/* jansson's double is good to about 1 ms */
				ck_assert_int_le(llabs(ev.ts / 1000000 -
				    (long long)(json_real_value(
				    json_object_get(doc, "ts")) * 1000.0)), 1);
			}
			json_decref(doc);
			n++;
		}
		fclose(f);
	}
	ck_assert_int_ge(n, 15);
	decoder_free(d);
	decoder_free(a);
}
END_TEST

/*
 * Access logs in common/combined format (nginx, Apache, Traefik): every
 * well-formed line gives an event whose source is the first token.
 */
START_TEST(clf_logs)
{
	static const char	*files[] = {
		"crowdsec-hub/nginx_http-logs/nginx_http-logs.log",
		"crowdsec-hub/apache2-logs/apache2-logs.log",
		"crowdsec-hub/traefik_clf/traefik_clf.log",
		"crowdsec-hub/http-dos-random-uri/http_dos_random_uri.log",
		"crowdsec-hub/http-generic-test/http-generic-test.log",
	};
	struct decoder		*d = dec("auto");
	char			 line[65536], ip[64];
	struct event		 ev;
	struct decode_error	 err;
	size_t			 i;
	int			 n = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = open_log(files[i]);
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			size_t len = reclen(line);
			const char *second = strchr(line, ' ');
			if (len == 0)
				continue;
			if ((len > 8 && line[4] == '/' && line[7] == '/') ||
			    line[0] == '[') {
				/* nginx or Apache error-log lines, mixed in */
				ck_assert_int_eq(decoder_decode(d, line, len,
				    &ev, &err), DECODE_ERROR);
				continue;
			}
			ck_assert_msg(decoder_decode(d, line, len, &ev, &err)
			    == DECODE_EVENT, "%s: %s (%s)", files[i], line,
			    err.msg);
			addr_format(&ev.src, ip, sizeof(ip));
			/* the first token, or the second after a vhost */
			ck_assert_msg(strncmp(line, ip, strlen(ip)) == 0 ||
			    (second && strncmp(second + 1, ip, strlen(ip)) == 0),
			    "%s: %s", ip, line);
			ck_assert(ev.flags & EV_HAS_TIME);
			n++;
		}
		fclose(f);
	}
	ck_assert_int_ge(n, 80);
	decoder_free(d);
}
END_TEST

/*
 * Malformed requests (binary probes, TLS hellos in nginx's \xHH escapes)
 * decode or fail cleanly, line by line; nothing crashes.
 */
START_TEST(malformed_logs)
{
	static const char	*files[] = {
		"crowdsec-hub/nginx-http-malformed/nginx_http-logs.log",
		"crowdsec-hub/apache2-malformed/apache2-logs.log",
		"crowdsec-hub/nginx-proxy-manager-logs/"
		    "nginx-proxy-manager-logs.log",
		"crowdsec-hub/docker-logs/docker-logs.log",
		"crowdsec-hub/cri-logs/cri-logs.log",
		"crowdsec-hub/envoy-logs/envoy.log",
		"crowdsec-hub/authelia-logs/authelia-logs.log",
		"crowdsec-hub/nginx-http-generic-bf/nginx-http-generic-bf.log",
	};
	struct decoder		*d = dec("auto");
	char			 line[65536];
	struct event		 ev;
	struct decode_error	 err;
	size_t			 i;
	int			 events = 0, errors = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = open_log(files[i]);
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			enum decode_result r = decoder_decode(d, line,
			    reclen(line), &ev, &err);
			if (r == DECODE_EVENT)
				events++;
			else if (r == DECODE_ERROR) {
				errors++;
				ck_assert_str_ne(err.msg, "");
			}
		}
		fclose(f);
	}
	/* the nginx malformed set is all CLF with odd requests: events */
	ck_assert_int_ge(events, 20);
	ck_assert_int_ge(errors, 20);
	decoder_free(d);
}
END_TEST

/*
 * fail2ban's access-log fixtures carry the expected client of each line
 * in a "# failJSON" comment: where the line is CLF, we must agree.
 */
START_TEST(fail2ban_ground_truth)
{
	static const char	*files[] = {
		"fail2ban/nginx-bad-request.log",
		"fail2ban/nginx-botsearch.log",
		"fail2ban/apache-badbots.log",
		"fail2ban/apache-noscript.log",
		"fail2ban/apache-fakegooglebot.log",
		"fail2ban/traefik-auth.log",
	};
	struct decoder		*d = dec("clf");
	char			 line[65536], host[128] = "", ip[64];
	struct event		 ev;
	struct decode_error	 err;
	size_t			 i;
	int			 checked = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = open_log(files[i]);
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			char *h;
			if (strncmp(line, "# failJSON:", 11) == 0) {
				host[0] = '\0';
				if ((h = strstr(line, "\"host\": \"")) != NULL)
					sscanf(h + 9, "%127[^\"]", host);
				continue;
			}
			if (line[0] == '#' || line[0] == '\n')
				continue;
			if (decoder_decode(d, line, reclen(line), &ev,
			    &err) != DECODE_EVENT || host[0] == '\0' ||
			    !(ev.flags & EV_HAS_SRC))
				continue;
			addr_format(&ev.src, ip, sizeof(ip));
			ck_assert_msg(strcmp(ip, host) == 0, "%s: %s vs %s",
			    files[i], ip, host);
			checked++;
		}
		fclose(f);
	}
	ck_assert_int_ge(checked, 20);
	decoder_free(d);
}
END_TEST

/* Traefik's JSON log through a field map. */
START_TEST(traefik_json_with_field_map)
{
	struct decoder_opts	 o;
	struct decoder		*d;
	char			 line[65536], err[256];
	struct event		 ev;
	struct decode_error	 de;
	FILE			*f;
	int			 n = 0;

	memset(&o, 0, sizeof(o));
	o.format = "json";
	o.fields[DF_SOURCE][0] = "ClientHost";
	o.fields[DF_METHOD][0] = "RequestMethod";
	o.fields[DF_PATH][0] = "RequestPath";
	o.fields[DF_STATUS][0] = "DownstreamStatus";
	o.fields[DF_USER_AGENT][0] = "request_User-Agent";
	d = decoder_new(&o, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	f = open_log("crowdsec-hub/traefik_json/traefik_json.log");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		json_error_t	 je;
		json_t		*doc;

		if (line[0] != '{') {
			/* a plugin's debug line in the same stream */
			ck_assert_int_eq(decoder_decode(d, line, reclen(line),
			    &ev, &de), DECODE_ERROR);
			continue;
		}
		doc = json_loads(line, 0, &je);
		ck_assert_ptr_nonnull(doc);
		ck_assert_int_eq(decoder_decode(d, line, reclen(line),
		    &ev, &de), DECODE_EVENT);
		ck_assert_int_eq(ev.status, json_integer_value(
		    json_object_get(doc, "DownstreamStatus")));
		ck_assert_str_eq(ev.path, json_string_value(
		    json_object_get(doc, "RequestPath")));
		json_decref(doc);
		if (strstr(line, "\"request_User-Agent\":\"Nikto\""))
			ck_assert_str_eq(ev.user_agent, "Nikto");
		else
			ck_assert_str_eq(ev.user_agent, "");
		ck_assert(ev.flags & EV_HAS_TIME);
		n++;
	}
	fclose(f);
	ck_assert_int_ge(n, 5);
	decoder_free(d);
}
END_TEST

static Suite *
corpus_suite(void)
{
	Suite	*s = suite_create("corpus");
	TCase	*tc = tcase_create("logs");

	tcase_add_test(tc, caddy_agrees_with_jansson);
	tcase_add_test(tc, clf_logs);
	tcase_add_test(tc, malformed_logs);
	tcase_add_test(tc, fail2ban_ground_truth);
	tcase_add_test(tc, traefik_json_with_field_map);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	struct stat	 st;
	const char	*env = getenv("KS_CORPUS");
	SRunner		*sr;
	int		 failed;

	if (env != NULL)
		snprintf(corpus, sizeof(corpus), "%s", env);
	else
		snprintf(corpus, sizeof(corpus), "%s/../shared/corpus",
		    ks_srcdir());
	if (stat(corpus, &st) == -1 || !S_ISDIR(st.st_mode)) {
		printf("corpus not found at %s: skipped\n", corpus);
		return 77;
	}
	sr = srunner_create(corpus_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
