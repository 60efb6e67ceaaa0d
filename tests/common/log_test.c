/*
 * log_test.c: the daemon's log helpers: log_errno says and returns the error in one step, a
 * failure scope turns "what failed" and "what follows" into one line, and says a failure nobody
 * logged.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/common/log.h"

/* stderr goes to a temporary file while a test runs; captured() reads back what was written. */
static FILE *capture;
static int saved_stderr = -1;

static int capture_start(void **state)
{
	(void)state;
	fflush(stderr);
	capture = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	if (!capture || saved_stderr < 0 || dup2(fileno(capture), STDERR_FILENO) < 0)
		return -1;
	return 0;
}

static int capture_stop(void **state)
{
	(void)state;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(capture);
	return 0;
}

static const char *captured(void)
{
	static char text[4096];
	size_t length;

	fflush(stderr);
	rewind(capture);
	length = fread(text, 1, sizeof(text) - 1, capture);
	text[length] = '\0';
	return text;
}

static void test_errno_logs_and_returns(void **state)
{
	(void)state;
	assert_int_equal(log_errno(LOG_PRIORITY_ERROR, -ENOENT, "cannot open %s", "x"), -ENOENT);
	/* An errno as errno holds it: the same line, the same negative result. */
	assert_int_equal(log_errno(LOG_PRIORITY_WARNING, EACCES, "cannot write %s", "y"), -EACCES);
	assert_string_equal(captured(), "<3>cannot open x: No such file or directory\n"
					"<4>cannot write y: Permission denied\n");
}

static void test_scope_makes_one_line(void **state)
{
	struct log_scope scope;

	(void)state;
	log_scope_open(&scope, "reload refused", "the running configuration stays");
	log_info("vip web: table size 101 -> 103");
	log_warning("a warning keeps its own words");
	log_errno(LOG_PRIORITY_ERROR, -EINVAL, "vip web: cannot build its Maglev table");
	assert_int_equal(log_scope_close(&scope, -EINVAL), -EINVAL);
	assert_int_equal(scope.errors, 1);
	log_error("after the scope, a line is itself");
	assert_string_equal(captured(),
			    "<6>vip web: table size 101 -> 103\n"
			    "<4>a warning keeps its own words\n"
			    "<3>reload refused: vip web: cannot build its Maglev table: Invalid "
			    "argument; the running configuration stays\n"
			    "<3>after the scope, a line is itself\n");
}

static void test_scope_says_an_unsaid_failure(void **state)
{
	struct log_scope scope;

	(void)state;
	log_scope_open(&scope, "reload refused", "the running configuration stays");
	assert_int_equal(log_scope_close(&scope, -ENOMEM), -ENOMEM);
	/* Success, or a failure already said, adds nothing. */
	log_scope_open(&scope, "cannot set up the event loop", NULL);
	assert_int_equal(log_scope_close(&scope, 0), 0);
	assert_string_equal(captured(), "<3>reload refused: Cannot allocate memory; the running "
					"configuration stays\n");
}

static void test_scopes_nest(void **state)
{
	struct log_scope outer, inner;

	(void)state;
	log_scope_open(&outer, "reload refused", "the running configuration stays");
	log_error("vip web: cannot update its table: No space left on device");
	log_scope_open(&inner, "reload: could not restore the previous configuration", NULL);
	log_error("vip web: cannot update its table: No space left on device");
	log_scope_close(&inner, -ENOSPC);
	assert_int_equal(log_scope_close(&outer, -ENOSPC), -ENOSPC);
	assert_int_equal(outer.errors, 1);
	assert_int_equal(inner.errors, 1);
	assert_string_equal(captured(),
			    "<3>reload refused: vip web: cannot update its table: No space left on "
			    "device; the running configuration stays\n"
			    "<3>reload: could not restore the previous configuration: vip web: "
			    "cannot update its table: No space left on device\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_errno_logs_and_returns, capture_start,
					    capture_stop),
	    cmocka_unit_test_setup_teardown(test_scope_makes_one_line, capture_start, capture_stop),
	    cmocka_unit_test_setup_teardown(test_scope_says_an_unsaid_failure, capture_start,
					    capture_stop),
	    cmocka_unit_test_setup_teardown(test_scopes_nest, capture_start, capture_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
