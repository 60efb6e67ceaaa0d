/* probe_http.h: the HTTP side of an http health check: the request sent, the status line read. */
#ifndef L3DSR_PROBE_HTTP_H
#define L3DSR_PROBE_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* At most this much of the answer is read: a status line longer than that is a bad response. */
#define PROBE_HTTP_RESPONSE_MAX 1024

/*
 * Writes "GET PATH HTTP/1.0" with Host: HOST into TEXT of SIZE bytes. HTTP/1.0 with
 * "Connection: close" asks for nothing a status line does not tell. Returns the length, or -1
 * when it does not fit.
 */
int probe_http_request(char *text, size_t size, const char *path, const char *host);

/*
 * Reads the status of the response's first LENGTH bytes, "HTTP/1.1 200 OK\r\n...".
 * Returns 1 with *STATUS set once the status line is complete and well formed, 0 while it is
 * incomplete, -1 when it is not an HTTP/1.x status line.
 */
int probe_http_status(const char *data, size_t length, uint16_t *status);

#endif /* L3DSR_PROBE_HTTP_H */
