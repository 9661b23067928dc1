/*
 * Reading a request from, and writing a response to, a FastCGI stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <fastcgi.h>

#include "buf.h"
#include "fcgi.h"

static char *param_copy(FCGX_Request *fcgi, const char *name)
{
	const char *value = FCGX_GetParam(name, fcgi->envp);
	return value && *value ? strdup(value) : NULL;
}

/* nginx's $request_id is 32 hex digits; anything else is not echoed. */
static char *request_id_copy(FCGX_Request *fcgi)
{
	const char *value = FCGX_GetParam("REQUEST_ID", fcgi->envp);
	if (value == NULL || *value == '\0' || strlen(value) > 64)
		return NULL;
	for (const char *p = value; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-'))
			return NULL;
	return strdup(value);
}

void fcgi_read_request(FCGX_Request *fcgi, long body_limit, struct request *request)
{
	const char *method = FCGX_GetParam("REQUEST_METHOD", fcgi->envp);
	request->head = method && strcmp(method, "HEAD") == 0;
	request->method = request->head ? HTTP_GET : http_method_from_name(method);

	/* REQUEST_URI is the path as the client sent it, with its query. */
	const char *uri = FCGX_GetParam("REQUEST_URI", fcgi->envp);
	if (uri == NULL)
		uri = FCGX_GetParam("DOCUMENT_URI", fcgi->envp);
	if (uri == NULL)
		uri = "/";
	const char *question = strchr(uri, '?');
	request->path = question ? strndup(uri, (size_t)(question - uri)) : strdup(uri);
	request->query_string = strdup(question ? question + 1 : "");

	request->content_type = param_copy(fcgi, "CONTENT_TYPE");
	request->authorization = param_copy(fcgi, "HTTP_AUTHORIZATION");
	request->idempotency_key = param_copy(fcgi, "HTTP_IDEMPOTENCY_KEY");
	request->host = param_copy(fcgi, "HTTP_HOST");
	request->request_id = request_id_copy(fcgi);
	const char *https = FCGX_GetParam("HTTPS", fcgi->envp);
	request->https = https && (strcmp(https, "on") == 0 || strcmp(https, "1") == 0);

	const char *content_length = FCGX_GetParam("CONTENT_LENGTH", fcgi->envp);
	long length = content_length ? strtol(content_length, NULL, 10) : 0;
	if (length <= 0)
		return;
	if (length > body_limit) {
		request->body_too_large = true;
		return;
	}
	request->body = malloc((size_t)length + 1);
	if (request->body == NULL)
		abort();
	int read = FCGX_GetStr(request->body, (int)length, fcgi->in);
	request->body_length = read > 0 ? (size_t)read : 0;
	request->body[request->body_length] = '\0';
}

static const char *status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Appends a record header of `type` for `length` bytes of content. */
static void append_record_header(struct buf *out, int request_id, unsigned char type, size_t length)
{
	const FCGI_Header header = {
		.version = FCGI_VERSION_1,
		.type = type,
		.requestIdB1 = (unsigned char)(request_id >> 8),
		.requestIdB0 = (unsigned char)request_id,
		.contentLengthB1 = (unsigned char)(length >> 8),
		.contentLengthB0 = (unsigned char)length,
	};
	buf_append(out, (const char *)&header, sizeof header);
}

/* Appends `data` as FCGI_STDOUT records of at most FCGI_MAX_LENGTH bytes. */
static void append_stdout(struct buf *out, int request_id, const char *data, size_t length)
{
	while (length > 0) {
		size_t chunk = length < FCGI_MAX_LENGTH ? length : FCGI_MAX_LENGTH;
		append_record_header(out, request_id, FCGI_STDOUT, chunk);
		buf_append(out, data, chunk);
		data += chunk;
		length -= chunk;
	}
}

/* Appends the end of the output and of the request: an empty FCGI_STDOUT
 * record, then FCGI_END_REQUEST with application status 0. */
static void append_end(struct buf *out, int request_id)
{
	append_record_header(out, request_id, FCGI_STDOUT, 0);
	append_record_header(out, request_id, FCGI_END_REQUEST, sizeof(FCGI_EndRequestBody));
	const FCGI_EndRequestBody end = {.protocolStatus = FCGI_REQUEST_COMPLETE};
	buf_append(out, (const char *)&end, sizeof end);
}

static void append_head(struct buf *head, const struct request *request, const struct response *response,
			size_t body_length)
{
	buf_printf(head, "Status: %d %s\r\n", response->status, status_reason(response->status));
	if (request->request_id)
		buf_printf(head, "X-Request-Id: %s\r\n", request->request_id);
	if (response->allow)
		buf_printf(head, "Allow: %s\r\n", response->allow);
	if (response->www_authenticate)
		buf_printf(head, "WWW-Authenticate: %s\r\n", response->www_authenticate);
	if (response->link)
		buf_printf(head, "Link: %s\r\n", response->link);
	if (response->body != NULL)
		buf_printf(head, "Content-Type: %s\r\nContent-Length: %zu\r\n",
			   response->content_type ? response->content_type : "application/json; charset=utf-8",
			   body_length);
	buf_append_str(head, "\r\n");
}

static void send_all(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0)
			return;  /* nginx is gone: the connection is closed next */
		data += sent;
		length -= (size_t)sent;
	}
}

void fcgi_respond(FCGX_Request *fcgi, const struct request *request, const struct response *response)
{
	/* libfcgi writes at most 8 KB at a time, so a page of messages went
	 * out in three writes, each waking nginx. The whole response and the
	 * request's end go out in one write instead, and libfcgi, whose output
	 * stream stays empty, only frees the request and closes. */
	size_t length = response->body ? strlen(response->body) : 0;
	size_t body_length = request->head ? 0 : length;
	struct buf head = {0}, out = {0};
	append_head(&head, request, response, length);
	/* Room for both parts, a record header per 64 KiB of each, and the
	 * two records that end the request. */
	buf_reserve(&out, head.length + body_length + 4 * FCGI_HEADER_LEN + sizeof(FCGI_EndRequestBody)
			  + body_length / FCGI_MAX_LENGTH * FCGI_HEADER_LEN);
	append_stdout(&out, fcgi->requestId, head.data, head.length);
	append_stdout(&out, fcgi->requestId, response->body, body_length);
	append_end(&out, fcgi->requestId);

	/* nginx sends nothing after the end of a request's input, so once that
	 * end is read, closing at once loses nothing. Otherwise libfcgi shuts
	 * the socket down and waits for nginx to close it first: one more
	 * sleep and wake-up of the worker per request. A body left unread (too
	 * large) or any input past its end keeps that careful close. */
	if (!request->body_too_large && FCGX_GetChar(fcgi->in) == EOF && FCGX_GetError(fcgi->in) == 0)
		FCGX_Detach(fcgi);
	send_all(fcgi->ipcFd, out.data, out.length);
	FCGX_Free(fcgi, 1);
	buf_free(&head);
	buf_free(&out);
}
