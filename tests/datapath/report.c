/* report.c: prints, as TAP comments, how a frame differs from the one a test expected. */
#include "report.h"

#include <stdio.h>

#define REPORT_LINE 16
/* Frames up to this long are shown whole. */
#define REPORT_SHORT_FRAME 128

size_t report_first_difference(const uint8_t *expected, size_t expected_length,
			       const uint8_t *actual, size_t actual_length)
{
	size_t offset;

	for (offset = 0; offset < expected_length && offset < actual_length; offset++)
		if (expected[offset] != actual[offset])
			break;
	return offset;
}

size_t report_difference_count(const uint8_t *expected, size_t expected_length,
			       const uint8_t *actual, size_t actual_length)
{
	size_t longer = expected_length > actual_length ? expected_length : actual_length;
	size_t offset, count = 0;

	for (offset = 0; offset < longer; offset++)
		if (offset >= expected_length || offset >= actual_length ||
		    expected[offset] != actual[offset])
			count++;
	return count;
}

static void report_line(const char *label, const uint8_t *frame, size_t length, size_t start)
{
	size_t offset;

	printf("#   %-8s %04zx ", label, start);
	for (offset = start; offset < start + REPORT_LINE && offset < length; offset++)
		printf(" %02x", frame[offset]);
	printf("\n");
}

void report_hex(const char *title, const uint8_t *frame, size_t length)
{
	size_t start;

	printf("# %s (%zu bytes):\n", title, length);
	for (start = 0; start < length; start += REPORT_LINE)
		report_line("", frame, length, start);
}

static int report_line_differs(const uint8_t *expected, size_t expected_length,
			       const uint8_t *actual, size_t actual_length, size_t start)
{
	size_t longer = expected_length > actual_length ? expected_length : actual_length;
	size_t offset;

	for (offset = start; offset < start + REPORT_LINE && offset < longer; offset++)
		if (offset >= expected_length || offset >= actual_length ||
		    expected[offset] != actual[offset])
			return 1;
	return 0;
}

void report_frames(const uint8_t *expected, size_t expected_length, const uint8_t *actual,
		   size_t actual_length)
{
	size_t longer = expected_length > actual_length ? expected_length : actual_length;
	size_t first = report_first_difference(expected, expected_length, actual, actual_length);
	size_t start, offset;
	int skipped = 0;

	if (first < expected_length && first < actual_length)
		printf("# first difference at offset %zu (0x%zx): expected 0x%02x, actual 0x%02x\n",
		       first, first, expected[first], actual[first]);
	else
		printf("# first difference at offset %zu: expected %zu bytes, actual %zu bytes\n",
		       first, expected_length, actual_length);
	/* Long frames: only the lines that differ and the lines either side of them. */
	for (start = 0; start < longer; start += REPORT_LINE) {
		int differs =
		    report_line_differs(expected, expected_length, actual, actual_length, start);

		if (longer > REPORT_SHORT_FRAME && !differs &&
		    !report_line_differs(expected, expected_length, actual, actual_length,
					 start + REPORT_LINE) &&
		    (start == 0 || !report_line_differs(expected, expected_length, actual,
							actual_length, start - REPORT_LINE))) {
			if (!skipped++)
				printf("#   ...\n");
			continue;
		}
		skipped = 0;
		report_line("expected", expected, expected_length, start);
		report_line("actual", actual, actual_length, start);
		if (!differs)
			continue;
		printf("#   %-8s      ", "");
		for (offset = start; offset < start + REPORT_LINE && offset < longer; offset++)
			printf(offset >= expected_length || offset >= actual_length ||
				       expected[offset] != actual[offset]
				   ? " ^^"
				   : "   ");
		printf("\n");
	}
}
