/* report.h: prints, as TAP comments, how a frame differs from the one a test expected. */
#ifndef L3DSR_TEST_REPORT_H
#define L3DSR_TEST_REPORT_H

#include <stddef.h>
#include <stdint.h>

/* The first offset where the two frames differ; the shorter length when one is a prefix. */
size_t report_first_difference(const uint8_t *expected, size_t expected_length,
			       const uint8_t *actual, size_t actual_length);

/* How many bytes differ (bytes past the shorter frame count as different). */
size_t report_difference_count(const uint8_t *expected, size_t expected_length,
			       const uint8_t *actual, size_t actual_length);

/*
 * "# first difference at offset N", then both frames in hex, 16 bytes a line, with a line of
 * ^^ under the bytes that differ.
 */
void report_frames(const uint8_t *expected, size_t expected_length, const uint8_t *actual,
		   size_t actual_length);

/* One frame in hex, as "#   0000  xx xx ..." lines. */
void report_hex(const char *title, const uint8_t *frame, size_t length);

#endif /* L3DSR_TEST_REPORT_H */
