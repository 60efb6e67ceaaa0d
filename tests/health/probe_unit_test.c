/*
 * probe_unit_test.c: the pieces of a health check that need no network: the HTTP request and
 * status line, the outcome words, the reserved-ports list and the probe port pool.
 *
 * probe_unit_test runs those that need no privilege (make check-unit); probe_unit_test ports
 * runs the port pool's, which creates a BPF map and so needs CAP_BPF (make check only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <bpf/bpf.h>
#include <cmocka.h>
#include <unistd.h>

#include "src/health/probe_http.h"
#include "src/health/probe_outcome.h"
#include "src/health/probe_ports.h"

static int status_of(const char *text, uint16_t *status)
{
	*status = 0;
	return probe_http_status(text, strlen(text), status);
}

static void test_status_lines(void **state)
{
	static const struct {
		const char *text;
		int result;
		uint16_t status;
	} rows[] = {
	    {"HTTP/1.1 200 OK\r\n", 1, 200},
	    {"HTTP/1.0 503 Service Unavailable\r\nServer: x\r\n\r\n", 1, 503},
	    {"HTTP/1.1 204\r\n", 1, 204},	  /* no reason phrase */
	    {"HTTP/1.1 404 Not Found\n", 1, 404}, /* a bare LF */
	    {"", 0, 0},
	    {"HTT", 0, 0},
	    {"HTTP/1.1 200 OK", 0, 0}, /* the line is not over yet */
	    {"SSH-2.0-OpenSSH_9.2\r\n", -1, 0},
	    {"HTTP/2 200\r\n", -1, 0},
	    {"HTTP/1.1 20x OK\r\n", -1, 0},
	    {"HTTP/1.1 2000 OK\r\n", -1, 0},
	    {"HTTP/1.1  200 OK\r\n", -1, 0},
	    {"HTTP/1.1 200\r", 0, 0},
	    {"http/1.1 200 OK\r\n", -1, 0},
	};
	uint16_t status;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int result = status_of(rows[i].text, &status);

		if (result != rows[i].result || (result == 1 && status != rows[i].status))
			fail_msg("\"%s\": got %d (status %u), expected %d (status %u)",
				 rows[i].text, result, status, rows[i].result, rows[i].status);
	}
}

/* A status line that never ends is a bad response once the buffer is full, not a wait. */
static void test_endless_status_line(void **state)
{
	char text[PROBE_HTTP_RESPONSE_MAX];
	uint16_t status;

	(void)state;
	memset(text, 'x', sizeof(text));
	memcpy(text, "HTTP/1.1 200 ", 13);
	assert_int_equal(probe_http_status(text, sizeof(text) - 1, &status), 0);
	assert_int_equal(probe_http_status(text, sizeof(text), &status), -1);
}

static void test_request(void **state)
{
	char text[256];
	int length;

	(void)state;
	length = probe_http_request(text, sizeof(text), "/healthz?full=1", "[2001:db8::10]");
	assert_true(length > 0);
	assert_int_equal((size_t)length, strlen(text));
	assert_memory_equal(text, "GET /healthz?full=1 HTTP/1.0\r\nHost: [2001:db8::10]\r\n", 52);
	assert_non_null(strstr(text, "\r\nConnection: close\r\n"));
	assert_string_equal(text + length - 4, "\r\n\r\n");
	assert_int_equal(probe_http_request(text, 40, "/", "192.0.2.10"), -1);
}

static void test_outcome_words(void **state)
{
	char text[64];

	(void)state;
	assert_string_equal(probe_outcome_text(PROBE_BAD_STATUS, 503, text, sizeof(text)),
			    "bad status 503");
	assert_string_equal(probe_outcome_text(PROBE_CONNECT_TIMEOUT, 0, text, sizeof(text)),
			    "connect timeout");
	assert_string_equal(probe_outcome_name(PROBE_CONNECT_REFUSED), "connect_refused");
	for (int outcome = 0; outcome < PROBE_OUTCOME_COUNT; outcome++) {
		assert_non_null(probe_outcome_name(outcome));
		assert_true(strlen(probe_outcome_text(outcome, 500, text, sizeof(text))) > 0);
	}
}

static void test_reserved_ports_list(void **state)
{
	(void)state;
	assert_false(probe_ports_list_contains("", 61000));
	assert_true(probe_ports_list_contains("61000-61999", 61000));
	assert_true(probe_ports_list_contains("61000-61999", 61999));
	assert_false(probe_ports_list_contains("61000-61999", 62000));
	assert_true(probe_ports_list_contains("8080,61000-61999,9000\n", 9000));
	assert_true(probe_ports_list_contains("8080,61000-61999,9000", 8080));
	assert_false(probe_ports_list_contains("8080,9000", 8081));
	assert_false(probe_ports_list_contains("junk", 1));
}

/* Ports are handed out in turn, a busy one is skipped, none when all are busy; publishing
 * writes the entry of the port's index, which the pool's start cleared. */
static void test_port_pool(void **state)
{
	struct probe_target target = {.port = 80, .family = 4}, read;
	struct probe_ports ports;
	__u32 index = 2;
	int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probes", sizeof(__u32),
				 sizeof(struct probe_target), L3DSR_MAX_PROBE_PORTS, NULL);

	(void)state;
	assert_true(map >= 0);
	assert_int_equal(bpf_map_update_elem(map, &index, &target, BPF_ANY), 0);
	assert_int_equal(probe_ports_init(&ports, 61000, 61002, map), 0);
	assert_int_equal(bpf_map_lookup_elem(map, &index, &read), 0);
	assert_int_equal(read.family, 0);

	assert_int_equal(probe_ports_acquire(&ports), 61000);
	assert_int_equal(probe_ports_acquire(&ports), 61001);
	probe_ports_release(&ports, 61000);
	assert_int_equal(probe_ports_acquire(&ports), 61002);
	assert_int_equal(probe_ports_acquire(&ports), 61000);
	assert_int_equal(probe_ports_acquire(&ports), 0);
	probe_ports_release(&ports, 61001);
	assert_int_equal(probe_ports_acquire(&ports), 61001);

	assert_int_equal(probe_ports_publish(&ports, 61002, &target), 0);
	assert_int_equal(bpf_map_lookup_elem(map, &index, &read), 0);
	assert_memory_equal(&read, &target, sizeof(read));
	assert_int_not_equal(probe_ports_publish(&ports, 61003, &target), 0);
	probe_ports_free(&ports);
	close(map);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_lines),
	    cmocka_unit_test(test_endless_status_line),
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_outcome_words),
	    cmocka_unit_test(test_reserved_ports_list),
	};
	const struct CMUnitTest map_tests[] = {
	    cmocka_unit_test(test_port_pool),
	};

	if (argc == 2 && strcmp(argv[1], "ports") == 0)
		return cmocka_run_group_tests_name("health probe port pool", map_tests, NULL, NULL);
	return cmocka_run_group_tests_name("health probe pieces", tests, NULL, NULL);
}
