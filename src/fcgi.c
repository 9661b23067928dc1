/*
 * Reading a request from, and writing a response to, a FastCGI stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void fcgi_write_response(FCGX_Request *fcgi, const struct request *request, const struct response *response)
{
	FCGX_FPrintF(fcgi->out, "Status: %d %s\r\n", response->status, status_reason(response->status));
	if (request->request_id)
		FCGX_FPrintF(fcgi->out, "X-Request-Id: %s\r\n", request->request_id);
	if (response->allow)
		FCGX_FPrintF(fcgi->out, "Allow: %s\r\n", response->allow);
	if (response->www_authenticate)
		FCGX_FPrintF(fcgi->out, "WWW-Authenticate: %s\r\n", response->www_authenticate);
	if (response->link)
		FCGX_FPrintF(fcgi->out, "Link: %s\r\n", response->link);
	if (response->body == NULL) {
		FCGX_PutS("\r\n", fcgi->out);
		return;
	}
	size_t length = strlen(response->body);
	FCGX_FPrintF(fcgi->out, "Content-Type: %s\r\nContent-Length: %lu\r\n\r\n",
		     response->content_type ? response->content_type : "application/json; charset=utf-8",
		     (unsigned long)length);
	if (!request->head)
		FCGX_PutStr(response->body, (int)length, fcgi->out);
}

void fcgi_finish(FCGX_Request *fcgi, const struct request *request)
{
	/* nginx sends nothing after the end of a request's input, so once that
	 * end is read, closing at once loses nothing. Otherwise libfcgi shuts
	 * the socket down and waits for nginx to close it first: one more
	 * sleep and wake-up of the worker per request. A body left unread (too
	 * large) or any input past its end keeps that careful close. */
	if (!request->body_too_large && FCGX_GetChar(fcgi->in) == EOF && FCGX_GetError(fcgi->in) == 0)
		FCGX_Detach(fcgi);
	FCGX_Finish_r(fcgi);
}
