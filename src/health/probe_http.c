/* probe_http.c: the HTTP side of an http health check: the request sent, the status line read. */
#include <stdio.h>
#include <string.h>

#include "src/health/probe_http.h"

int probe_http_request(char *text, size_t size, const char *path, const char *host)
{
	int length = snprintf(text, size,
			      "GET %s HTTP/1.0\r\n"
			      "Host: %s\r\n"
			      "User-Agent: l3dsr-health-check/%s\r\n"
			      "Connection: close\r\n"
			      "\r\n",
			      path, host, L3DSR_VERSION);

	return length < 0 || (size_t)length >= size ? -1 : length;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF; a bare LF
 * is accepted too, as its section 2.2 allows. */
int probe_http_status(const char *data, size_t length, uint16_t *status)
{
	static const char version[] = "HTTP/1.";
	const char *end = memchr(data, '\n', length);
	size_t line_length, prefix = sizeof(version) - 1;

	/* What has arrived must already be a prefix of a status line. */
	if (memcmp(data, version, length < prefix ? length : prefix))
		return -1;
	if (!end)
		return length >= PROBE_HTTP_RESPONSE_MAX ? -1 : 0;
	line_length = (size_t)(end - data);
	if (line_length > 0 && data[line_length - 1] == '\r')
		line_length--;
	/* "HTTP/1.x NNN" then the end of the line or a space. */
	if (line_length < prefix + 5 || !is_digit(data[prefix]) || data[prefix + 1] != ' ' ||
	    !is_digit(data[prefix + 2]) || !is_digit(data[prefix + 3]) ||
	    !is_digit(data[prefix + 4]) || (line_length > prefix + 5 && data[prefix + 5] != ' '))
		return -1;
	*status = (uint16_t)((data[prefix + 2] - '0') * 100 + (data[prefix + 3] - '0') * 10 +
			     (data[prefix + 4] - '0'));
	return 1;
}
