/* Unit tests for config.c. */
#include "autoconfig.h"

#include "check_common.h"
#include "config.h"
#include "severity.h"
#include "util.h"

static struct config *
load_text(const char *text, struct ydiag *d, char **pathp)
{
	char *path = ks_tempfile(".yml", text, strlen(text));

	ydiag_init(d, path);
	*pathp = path;
	return config_load(path, d);
}

/* Every message of msgs (each a prefix after "path:"), and no other. */
static void
want_errors(const struct ydiag *d, const char *path, const char **msgs,
    size_t n)
{
	char	want[4200];
	size_t	i, j;

	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%s:%s", path, msgs[i]);
		for (j = 0; j < d->n; j++)
			if (strncmp(d->msgs[j], want, strlen(want)) == 0)
				break;
		ck_assert_msg(j < d->n, "missing: %s (got %zu messages, the "
		    "first: %s)", want, d->n, d->n ? d->msgs[0] : "");
	}
	ck_assert_uint_eq(d->total, n);
}

START_TEST(the_contract_example)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "store: memory\n"
	    "rules: [/usr/local/share/keysentry/rules]\n"
	    "endpoints:\n"
	    "  - name: kratos-reload\n"
	    "    method: POST\n"
	    "    path: /internal/kratos/reload\n"
	    "    key_header: X-Reload-Api-Key\n"
	    "    allowed_sources: [10.89.1.10/32, fd00:89::10/128]\n"
	    "sources:\n"
	    "  - {type: file, path: /var/log/reload-sidecar/access.log, "
	    "format: auto}\n"
	    "outputs:\n"
	    "  - {type: file, path: \"-\"}\n", &d, &path);
	char		 buf[64];

	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_str_eq(c->store, "memory");
	ck_assert_uint_eq(c->nrules, 1);
	ck_assert_str_eq(c->rules[0], "/usr/local/share/keysentry/rules");
	ck_assert_uint_eq(c->nendpoints, 1);
	ck_assert_str_eq(c->endpoints[0].name, "kratos-reload");
	ck_assert_str_eq(c->endpoints[0].method, "POST");
	ck_assert_str_eq(c->endpoints[0].path, "/internal/kratos/reload");
	ck_assert_str_eq(c->endpoints[0].key_header, "X-Reload-Api-Key");
	ck_assert_uint_eq(c->endpoints[0].nallowed, 2);
	cidr_format(&c->endpoints[0].allowed[1], buf, sizeof(buf));
	ck_assert_str_eq(buf, "fd00:89::10/128");
	ck_assert_uint_eq(c->nsources, 1);
	ck_assert_str_eq(c->sources[0].path,
	    "/var/log/reload-sidecar/access.log");
	ck_assert_str_eq(c->sources[0].dopts.format, "auto");
	ck_assert_uint_eq(c->noutputs, 1);
	ck_assert_str_eq(c->outputs[0].path, "-");
	ck_assert_ptr_eq(config_endpoint(c, "kratos-reload"), &c->endpoints[0]);
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(empty_file_gives_defaults)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text("", &d, &path);

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->store, "memory");
	ck_assert_uint_eq(c->nrules, 1);		/* the installed rules */
	ck_assert_uint_eq(c->nendpoints, 0);
	ck_assert_uint_eq(c->noutputs, 0);
	ck_assert_uint_eq(c->limits.max_line, 65536);
	ck_assert_int_eq(c->lateness, 5 * INT64_C(1000000000));
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(relative_paths_follow_the_file)
{
	struct ydiag	 d;
	char		*path, *dir, want[4096];
	struct config	*c = load_text("rules: [rules, /abs]\nsources:\n"
			    "  - {type: file, path: logs/a.log}\noutputs:\n"
			    "  - {type: file, path: out.jsonl}\n", &d, &path);

	ck_assert_ptr_nonnull(c);
	dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	snprintf(want, sizeof(want), "%s/rules", dir);
	ck_assert_str_eq(c->rules[0], want);
	ck_assert_str_eq(c->rules[1], "/abs");
	snprintf(want, sizeof(want), "%s/logs/a.log", dir);
	ck_assert_str_eq(c->sources[0].path, want);
	snprintf(want, sizeof(want), "%s/out.jsonl", dir);
	ck_assert_str_eq(c->outputs[0].path, want);
	free(dir);
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(every_error_is_reported_with_its_place)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "store: memory\n"					/* 1 */
	    "endpoint:\n"					/* 2 */
	    "  - name: x\n"					/* 3 */
	    "endpoints:\n"					/* 4 */
	    "  - name: kratos-reload\n"				/* 5 */
	    "    path: internal/kratos/reload\n"		/* 6 */
	    "    allowed_sources: [10.89.1.10/33, 10.89.1.300]\n" /* 7 */
	    "  - {name: kratos-reload, path: /x/../y}\n"	/* 8 */
	    "sources:\n"					/* 9 */
	    "  - {type: file, path: /a, format: syslog}\n"	/* 10 */
	    "limits: {groups: 5}\n"				/* 11 */
	    "rule_overrides:\n"					/* 12 */
	    "  reload-rate: {threshold: 0, window: soon}\n",	/* 13 */
	    &d, &path);
	static const char *msgs[] = {
		"2:1: config: unknown key \"endpoint\"",
		"11:18: groups must be a whole number from 16",
		"6:11: endpoint path must start with '/'",
		"7:23: \"10.89.1.10/33\" is not an address, a CIDR prefix or "
		    "a DNS name",
		"7:38: \"10.89.1.300\" is not an address, a CIDR prefix or a "
		    "DNS name",
		"8:12: endpoint \"kratos-reload\" is declared twice",
		"8:33: endpoint path \"/x/../y\" is not in normal form (it "
		    "would be \"/y\")",
		"10:36: unknown format \"syslog\"",
		"13:28: threshold must be a whole number",
		"13:39: window must be a duration",
	};
	ck_assert_ptr_null(c);
	want_errors(&d, path, msgs, KS_ARRAY_LEN(msgs));
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(allowed_sources_by_name)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "endpoints:\n"
	    "  - name: kratos-reload\n"
	    "    path: /internal/kratos/reload\n"
	    "    allowed_sources: [10.89.1.10, ciam-athena, 172.18.0.0/16,\n"
	    "        Ciam-Athena, ciam-hydra.internal]\n"
	    "dns_servers: [127.0.0.11, '[::1]:5353', 127.0.0.1:53]\n"
	    "resolve_interval: 15s\n", &d, &path);
	const struct endpoint_conf *ep;

	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "?");
	ep = &c->endpoints[0];
	ck_assert_uint_eq(ep->nallowed, 2);
	ck_assert_uint_eq(ep->nnames, 2);		/* case folded once */
	ck_assert_str_eq(ep->names[0], "ciam-athena");
	ck_assert_str_eq(ep->names[1], "ciam-hydra.internal");
	ck_assert_uint_eq(ep->resolved.n, 0);		/* until resolved */
	ck_assert_uint_eq(c->ndns_servers, 3);
	ck_assert_str_eq(c->dns_servers[1], "[::1]:5353");
	ck_assert_int_eq(c->resolve_interval, 15 * KS_NSEC_PER_SEC);
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);

	c = load_text("dns_servers: [dns.example, 127.0.0.1]\n"
	    "resolve_interval: 100ms\n", &d, &path);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.total, 2);
	ck_assert_msg(strstr(d.msgs[0], ":1:15: DNS server \"dns.example\" "
	    "is not an address or address:port") != NULL ||
	    strstr(d.msgs[1], ":1:15: DNS server \"dns.example\" "
	    "is not an address or address:port") != NULL, "%s", d.msgs[0]);
	ck_assert_msg(strstr(d.msgs[0], ":2:19: resolve_interval must be at "
	    "least 1s") != NULL || strstr(d.msgs[1], ":2:19: resolve_interval "
	    "must be at least 1s") != NULL, "%s", d.msgs[1]);
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(redis_store_and_stream)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "store: redis://keysentry:s3cret@redis.internal:6380/2\n"
	    "key_prefix: 'ks:prod:'\n"
	    "max_skew: 5s\n"
	    "outputs:\n"
	    "  - {type: redis-stream, url: 'unix:///run/redis.sock?db=1'}\n"
	    "  - {type: redis-stream, url: 'redis://r:6379/0', stream: soc,"
	    " maxlen: 500}\n", &d, &path);

	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_str_eq(c->key_prefix, "ks:prod:");
	ck_assert_int_eq(c->max_skew, 5 * KS_NSEC_PER_SEC);
	ck_assert_str_eq(c->outputs[0].stream, "keysentry:alerts");
	ck_assert_uint_eq(c->outputs[0].maxlen, 100000);
	ck_assert_str_eq(c->outputs[1].stream, "soc");
	ck_assert_uint_eq(c->outputs[1].maxlen, 500);
	ck_assert_str_eq(c->outputs[1].path, "redis-stream:soc");
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);

	c = load_text("store: redis://u:hunter2@h:99999/0\n"		/* 1 */
	    "max_skew: 2m\n"						/* 2 */
	    "outputs:\n"						/* 3 */
	    "  - {type: redis-stream, url: redis://r/x, path: /a}\n",	/* 4 */
	    &d, &path);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.total, 4);
	{
		static const char *want[] = { ":1:8: store: redis://***@h:"
		    "99999/0: bad port", ":2:11: max_skew must be at most 60s",
		    ":4:31: output url: redis://r/x: the path must be a "
		    "database number", ":4:50: a redis-stream output has no "
		    "path" };
		size_t i, j;
		for (i = 0; i < 4; i++) {
			for (j = 0; j < d.n; j++)
				if (strstr(d.msgs[j], want[i]) != NULL)
					break;
			ck_assert_msg(j < d.n, "missing %s (first: %s)", want[i],
			    d.msgs[0]);
		}
		for (j = 0; j < d.n; j++)
			ck_assert_ptr_null(strstr(d.msgs[j], "hunter2"));
	}
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(missing_file_and_syntax_error)
{
	struct ydiag	 d;
	char		*path;

	ydiag_init(&d, "/nonexistent/keysentry.yml");
	ck_assert_ptr_null(config_load("/nonexistent/keysentry.yml", &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.msgs[0], "/nonexistent/keysentry.yml: No such "
	    "file or directory");
	ydiag_free(&d);

	ck_assert_ptr_null(load_text("endpoints: [\n", &d, &path));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_ptr_nonnull(strstr(d.msgs[0], ":2:1: "));
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(fields_overrides_and_limits)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "sources:\n"
	    "  - type: file\n"
	    "    path: /a\n"
	    "    format: json\n"
	    "    fields: {time: when, source: [peer.ip, peer.addr]}\n"
	    "  - {type: stdin, format: clf}\n"
	    "rule_overrides:\n"
	    "  reload-rate: {threshold: 12, window: 10m, enabled: false, "
	    "severity: critical, cooldown: 1h}\n"
	    "limits: {max_line_bytes: 2048, groups: 100, store_entries: 200, "
	    "evidence: 3}\n"
	    "hostname: mon-1\n"
	    "allowed_lateness: 30s\n", &d, &path);
	const struct rule_override *o;

	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_str_eq(c->sources[0].dopts.fields[DF_TIME][0], "when");
	ck_assert_str_eq(c->sources[0].dopts.fields[DF_SOURCE][1], "peer.addr");
	ck_assert_ptr_null(c->sources[0].dopts.fields[DF_SOURCE][2]);
	ck_assert_int_eq(c->sources[1].type, SOURCE_STDIN);
	o = config_override(c, "reload-rate");
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->threshold, 12);
	ck_assert_int_eq(o->window, 600 * INT64_C(1000000000));
	ck_assert_int_eq(o->enabled, 0);
	ck_assert_int_eq(o->severity, 4);
	ck_assert_ptr_null(config_override(c, "reload-401-burst"));
	ck_assert_uint_eq(c->limits.max_line, 2048);
	ck_assert_uint_eq(c->limits.groups, 100);
	ck_assert_uint_eq(c->limits.store_entries, 200);
	ck_assert_uint_eq(c->limits.evidence, 3);
	ck_assert_str_eq(c->hostname, "mon-1");
	ck_assert_int_eq(c->lateness, 30 * INT64_C(1000000000));
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

/* found by fuzz_config: a bad first JSON path must not leak the others */
START_TEST(bad_field_path_in_a_list)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text("sources:\n  - {type: file, path: a, "
			    "fields: {time: [[x], ts, t]}}\n", &d, &path);

	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.total, 1);
	ck_assert_ptr_nonnull(strstr(d.msgs[0], ":2:43: a JSON path must be"));
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

/* A live capture: its defaults, and what it may not say. */
START_TEST(pcap_sources)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "sources:\n"
	    "  - {type: pcap, interface: eth0}\n"
	    "  - {type: pcap, interface: any, filter: \"tcp port 8080 and "
	    "host 10.0.0.1\", snaplen: 1500, promisc: true, buffer_size: "
	    "8388608, response_timeout: 5s, silence_after: 1h}\n"
	    "limits: {tcp_flows: 100, tcp_flow_bytes: 8192, tcp_total_bytes: "
	    "1048576}\n", &d, &path);

	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_uint_eq(c->nsources, 2);
	ck_assert_int_eq(c->sources[0].type, SOURCE_PCAP);
	ck_assert_ptr_null(c->sources[0].path);
	ck_assert_str_eq(c->sources[0].interface, "eth0");
	ck_assert_str_eq(c->sources[0].filter, "tcp port 3110");
	ck_assert_uint_eq(c->sources[0].snaplen, 65535);
	ck_assert_int_eq(c->sources[0].promisc, 0);
	ck_assert_uint_eq(c->sources[0].buffer_size, 0);
	ck_assert_int_eq(c->sources[0].response_timeout, 30 * INT64_C(1000000000));
	ck_assert_str_eq(c->sources[1].interface, "any");
	ck_assert_str_eq(c->sources[1].filter, "tcp port 8080 and host "
	    "10.0.0.1");
	ck_assert_uint_eq(c->sources[1].snaplen, 1500);
	ck_assert_int_eq(c->sources[1].promisc, 1);
	ck_assert_uint_eq(c->sources[1].buffer_size, 8388608);
	ck_assert_int_eq(c->sources[1].response_timeout, 5 * INT64_C(1000000000));
	ck_assert_int_eq(c->sources[1].silence_after, 3600 * INT64_C(1000000000));
	ck_assert_uint_eq(c->limits.tcp_flows, 100);
	ck_assert_uint_eq(c->limits.tcp_flow_bytes, 8192);
	ck_assert_uint_eq(c->limits.tcp_total_bytes, 1048576);
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(pcap_source_errors)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "sources:\n"						/* 1 */
	    "  - {type: pcap}\n"					/* 2 */
	    "  - {type: pcap, interface: lo, filter: \"tcp prot 80\"}\n" /* 3 */
	    "  - {type: pcap, interface: lo, path: /a, format: flat}\n" /* 4 */
	    "  - {type: file, path: /a, interface: lo}\n"		/* 5 */
	    "  - {type: pcap, interface: lo, snaplen: 10, "
	    "response_timeout: 1ms}\n"					/* 6 */
	    "  - {type: tap, interface: lo}\n",			/* 7 */
	    &d, &path);
	static const char *msgs[] = {
		"2:5: a pcap source's interface must be",
		"3:41: filter \"tcp prot 80\": can't parse filter",
		"4:39: a pcap source has no \"path\"",
		"4:51: a pcap source has no \"format\"",
		"5:39: a file source has no \"interface\"",
		"6:42: snaplen must be a whole number from 128",
		"6:64: response_timeout must be at least 1s",
		"7:12: unknown source type \"tap\" (expected file, stdin or "
		    "pcap)",
	};
	ck_assert_ptr_null(c);
	want_errors(&d, path, msgs, KS_ARRAY_LEN(msgs));
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

/* keys: the example, with every generation state */
START_TEST(keys_and_generations)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "endpoints:\n"
	    "  - {name: kratos-reload, path: /internal/kratos/reload, "
	    "key_header: X-Reload-Api-Key}\n"
	    "keys:\n"
	    "  - name: CIAM_RELOAD_API_KEY\n"
	    "    endpoints: [kratos-reload]\n"
	    "    environment: prod\n"
	    "    max_age: 90d\n"
	    "    generations:\n"
	    "      - {fingerprint: \"sha256:0123456789abcdef\", state: current,"
	    " created: 2026-09-01}\n"
	    "      - {fingerprint: \"sha256:1123456789abcdef\", state: next, "
	    "created: 2026-11-20}\n"
	    "      - {fingerprint: \"sha256:2123456789abcdef\", state: retired,"
	    " retired: 2026-09-01}\n"
	    "      - {fingerprint: \"sha256:3123456789abcdef\", state: revoked,"
	    " revoked: \"2026-06-12T08:30:00Z\"}\n"
	    "      - {fingerprint: \"sha256:4123456789abcdef\", state: canary}\n"
	    "  - name: CIAM_RELOAD_API_KEY\n"
	    "    environment: dev\n"
	    "    generations:\n"
	    "      - {fingerprint: \"sha256:5123456789abcdef\", state: current,"
	    " created: 2026-10-01}\n"
	    "this_environment: prod\n", &d, &path);

	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_uint_eq(c->nkeys, 2);
	ck_assert_str_eq(c->this_environment, "prod");
	ck_assert_str_eq(c->keys[0].name, "CIAM_RELOAD_API_KEY");
	ck_assert_uint_eq(c->keys[0].nendpoints, 1);
	ck_assert_str_eq(c->keys[0].endpoints[0], "kratos-reload");
	ck_assert_str_eq(c->keys[0].environment, "prod");
	ck_assert_int_eq(c->keys[0].max_age, 90 * 86400 * KS_NSEC_PER_SEC);
	ck_assert_uint_eq(c->keys[0].ngens, 5);
	ck_assert_str_eq(c->keys[0].gens[0].fp, "sha256:0123456789abcdef");
	ck_assert_int_eq(c->keys[0].gens[0].state, KEY_CURRENT);
	/* 2026-09-01T00:00:00Z */
	ck_assert_int_eq(c->keys[0].gens[0].created, INT64_C(1788220800) *
	    KS_NSEC_PER_SEC);
	ck_assert_int_eq(c->keys[0].gens[1].state, KEY_NEXT);
	ck_assert_int_eq(c->keys[0].gens[2].state, KEY_RETIRED);
	ck_assert_int_eq(c->keys[0].gens[3].state, KEY_REVOKED);
	ck_assert_int_eq(c->keys[0].gens[3].revoked, (INT64_C(1781253000)) *
	    KS_NSEC_PER_SEC);
	ck_assert_int_eq(c->keys[0].gens[4].state, KEY_CANARY);
	ck_assert_str_eq(key_state_name(c->keys[0].gens[4].state), "canary");
	ck_assert(key_conf_here(c, &c->keys[0]));
	ck_assert(!key_conf_here(c, &c->keys[1]));
	ck_assert_ptr_null(c->keys[1].endpoints);	/* every endpoint */
	ck_assert_int_eq(c->keys[1].max_age, 90 * 86400 * KS_NSEC_PER_SEC);
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(key_errors)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "endpoints: [{name: r, path: /r}]\n"			/* 1 */
	    "keys:\n"							/* 2 */
	    "  - name: A\n"						/* 3 */
	    "    endpoints: [nope]\n"					/* 4 */
	    "    max_age: 1h\n"					/* 5 */
	    "    generations:\n"					/* 6 */
	    "      - {fingerprint: \"sha256:0123\", state: current}\n"	/* 7 */
	    "      - {fingerprint: \"sha256:0123456789abcdef\", state: old,"
	    " created: 1st of May}\n"					/* 8 */
	    "      - {fingerprint: \"sha256:0123456789abcdef\", state: next,"
	    " colour: red}\n"						/* 9 */
	    "  - name: B\n",						/* 10 */
	    &d, &path);
	static const char *msgs[] = {
		"4:17: no endpoint named \"nope\"",
		"5:14: max_age must be at least 1d",
		"7:9: the current generation needs its created date",
		"7:23: \"sha256:0123\" is not a fingerprint",
		"8:57: unknown key state \"old\"",
		"8:71: created must be a date",
		"9:63: key generation: unknown key \"colour\"",
		"10:5: key B has no generations",
		"3:3: fingerprint sha256:0123456789abcdef is registered twice",
	};

	ck_assert_ptr_null(c);
	want_errors(&d, path, msgs, KS_ARRAY_LEN(msgs));
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

/* Every output may filter by severity and by rule. */
START_TEST(output_filters)
{
	struct ydiag	 d;
	char		*path;
	struct config	*c = load_text(
	    "outputs:\n"
	    "  - {type: file, path: /a, min_severity: critical}\n"
	    "  - {type: file, path: /b, rules: [key-*, reload-rate]}\n"
	    "  - {type: redis-stream, url: 'redis://r:6379/0', min_severity:"
	    " high, rules: [key-exposed]}\n"
	    "  - {type: file, path: /c}\n", &d, &path);

	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_int_eq(c->outputs[0].min_severity, SEV_CRITICAL);
	ck_assert_uint_eq(c->outputs[0].nrules, 0);
	ck_assert_int_eq(c->outputs[1].min_severity, SEV_INFO);
	ck_assert_uint_eq(c->outputs[1].nrules, 2);
	ck_assert_str_eq(c->outputs[1].rules[0], "key-*");
	ck_assert_str_eq(c->outputs[1].rules[1], "reload-rate");
	ck_assert_int_eq(c->outputs[2].min_severity, SEV_HIGH);
	ck_assert_str_eq(c->outputs[2].rules[0], "key-exposed");
	ck_assert_int_eq(c->outputs[3].min_severity, SEV_INFO);
	ck_assert_ptr_null(c->outputs[3].rules);
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);

	/* syslog: the local socket by default, local0 */
	c = load_text("outputs:\n"
	    "  - {type: syslog}\n"
	    "  - {type: syslog, address: 'tcp://[::1]:6514', facility: auth}\n",
	    &d, &path);
	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_str_eq(c->outputs[0].address, "unix:/dev/log");
	ck_assert_int_eq(c->outputs[0].facility, 16);
	ck_assert_str_eq(c->outputs[0].path, "syslog:unix:/dev/log");
	ck_assert_str_eq(c->outputs[1].address, "tcp://[::1]:6514");
	ck_assert_int_eq(c->outputs[1].facility, 4);
	config_free(c);
	ydiag_free(&d);
	unlink(path);
	free(path);
	c = load_text("outputs:\n"
	    "  - {type: syslog, address: 'udp://host', facility: audit}\n"
	    "  - {type: syslog, address: 'unix:dev/log', path: /x}\n"
	    "  - {type: syslog, address: 'tcp://h:99999'}\n", &d, &path);
	ck_assert_ptr_null(c);
	{
		static const char *msgs[] = {
			"2:29: address udp://host: expected host:port",
			"2:53: unknown facility \"audit\"",
			"3:29: address unix:dev/log: a unix address is an "
			    "absolute path",
			"3:51: a syslog output has no path",
			"4:29: address tcp://h:99999: the port must be 1 to "
			    "65535",
		};
		want_errors(&d, path, msgs, KS_ARRAY_LEN(msgs));
	}
	ydiag_free(&d);
	unlink(path);
	free(path);

	c = load_text("outputs:\n"
	    "  - {type: file, path: /a, min_severity: loud, rules: []}\n",
	    &d, &path);
	ck_assert_ptr_null(c);
	{
		static const char *msgs[] = {
			"2:42: min_severity must be info, low, medium, high or "
			    "critical",
			"2:55: an output's rules must name at least one rule",
		};
		want_errors(&d, path, msgs, KS_ARRAY_LEN(msgs));
	}
	ydiag_free(&d);
	unlink(path);
	free(path);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, the_contract_example);
	tcase_add_test(tc, empty_file_gives_defaults);
	tcase_add_test(tc, relative_paths_follow_the_file);
	tcase_add_test(tc, every_error_is_reported_with_its_place);
	tcase_add_test(tc, allowed_sources_by_name);
	tcase_add_test(tc, redis_store_and_stream);
	tcase_add_test(tc, missing_file_and_syntax_error);
	tcase_add_test(tc, fields_overrides_and_limits);
	tcase_add_test(tc, bad_field_path_in_a_list);
	tcase_add_test(tc, pcap_sources);
	tcase_add_test(tc, pcap_source_errors);
	tcase_add_test(tc, keys_and_generations);
	tcase_add_test(tc, key_errors);
	tcase_add_test(tc, output_filters);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(config_suite)
