/*
 * The transport-free request and response: parsing a request's query string
 * and content type, and filling a response with JSON or an API error.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buf.h"
#include "http.h"

const char *const http_method_names[HTTP_METHOD__MAX] = {
	[HTTP_GET] = "GET",
	[HTTP_POST] = "POST",
	[HTTP_PUT] = "PUT",
	[HTTP_PATCH] = "PATCH",
	[HTTP_DELETE] = "DELETE",
};

enum http_method http_method_from_name(const char *name)
{
	for (int i = 0; i < HTTP_METHOD__MAX; i++)
		if (name && strcmp(name, http_method_names[i]) == 0)
			return (enum http_method)i;
	return HTTP_METHOD_OTHER;
}

/* ---------------------------------------------------------------- text */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *percent_decode(const char *in, size_t length, bool plus_is_space)
{
	char *out = malloc(length + 1);
	size_t used = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < length; i++) {
		char c = in[i];
		if (c == '%') {
			int h = i + 2 < length ? hex_value(in[i + 1]) : -1;
			int l = i + 2 < length ? hex_value(in[i + 2]) : -1;
			/* A malformed escape, or %00, which no id or value may hold. */
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				free(out);
				return NULL;
			}
			out[used++] = (char)(h * 16 + l);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			out[used++] = ' ';
		} else if (c == '\0') {
			free(out);
			return NULL;
		} else {
			out[used++] = c;
		}
	}
	out[used] = '\0';
	return out;
}

void percent_encode(struct buf *out, const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_append_char(out, (char)*p);
		} else {
			buf_append_char(out, '%');
			buf_append_char(out, hex[*p >> 4]);
			buf_append_char(out, hex[*p & 15]);
		}
	}
}

bool utf8_valid(const char *text, size_t length)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + length;
	while (p < end) {
		unsigned char c = *p;
		size_t extra;
		unsigned int code;
		if (c < 0x80) {
			p++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			extra = 1, code = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			extra = 2, code = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			extra = 3, code = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) <= extra)
			return false;
		for (size_t i = 1; i <= extra; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			code = (code << 6) | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates and code points past U+10FFFF. */
		if ((extra == 2 && code < 0x800) || (extra == 3 && (code < 0x10000 || code > 0x10ffff)) ||
		    (code >= 0xd800 && code <= 0xdfff))
			return false;
		p += extra + 1;
	}
	return true;
}

size_t utf8_length(const char *text)
{
	size_t count = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p & 0xc0) != 0x80)
			count++;
	return count;
}

bool content_type_is_json(const char *content_type)
{
	static const char json[] = "application/json";
	if (content_type == NULL || strncasecmp(content_type, json, sizeof json - 1) != 0)
		return false;
	const char *rest = content_type + sizeof json - 1;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '\0')
		return true;
	if (*rest != ';')
		return false;
	/* Parameters: only a charset of utf-8 is understood. */
	const char *charset = strcasestr(rest, "charset=");
	if (charset == NULL)
		return true;
	charset += strlen("charset=");
	if (*charset == '"')
		charset++;
	return strncasecmp(charset, "utf-8", 5) == 0 && strchr("\"; ", charset[5]) != NULL;
}

/* ---------------------------------------------------------------- query */

/* A decoded query component, or NULL when it is not valid percent-encoding
 * or not valid UTF-8 once decoded. */
static char *query_component(const char *text, size_t length)
{
	char *decoded = percent_decode(text, length, true);
	if (decoded != NULL && !utf8_valid(decoded, strlen(decoded))) {
		free(decoded);
		decoded = NULL;
	}
	return decoded;
}

void request_parse_query(struct request *request)
{
	const char *cursor = request->query_string ? request->query_string : "";
	while (*cursor) {
		const char *end = strchr(cursor, '&');
		size_t length = end ? (size_t)(end - cursor) : strlen(cursor);
		const char *equals = memchr(cursor, '=', length);
		size_t name_length = equals ? (size_t)(equals - cursor) : length;
		char *name = length > 0 ? query_component(cursor, name_length) : NULL;
		if (name != NULL) {
			char *value = equals ? query_component(equals + 1, length - name_length - 1) : strdup("");
			struct query_param *params = realloc(request->params,
							     (request->param_count + 1) * sizeof *params);
			if (params == NULL)
				abort();
			request->params = params;
			params[request->param_count++] = (struct query_param){name, value};
		}
		cursor += length + (end ? 1 : 0);
	}
}

static const struct query_param *first_param(const struct request *request, const char *name)
{
	for (size_t i = 0; i < request->param_count; i++)
		if (strcmp(request->params[i].name, name) == 0)
			return &request->params[i];
	return NULL;
}

const char *request_param(const struct request *request, const char *name)
{
	const struct query_param *param = first_param(request, name);
	return param ? param->value : NULL;
}

bool request_param_malformed(const struct request *request, const char *name)
{
	const struct query_param *param = first_param(request, name);
	return param != NULL && param->value == NULL;
}

void request_free(struct request *request)
{
	if (request == NULL)
		return;
	for (size_t i = 0; i < request->param_count; i++) {
		free(request->params[i].name);
		free(request->params[i].value);
	}
	free(request->params);
	free(request->path);
	free(request->query_string);
	free(request->content_type);
	free(request->authorization);
	free(request->idempotency_key);
	free(request->request_id);
	free(request->host);
	free(request->body);
	free(request->path_id);
	*request = (struct request){0};
}

/* ---------------------------------------------------------------- response */

void response_free(struct response *response)
{
	if (response == NULL)
		return;
	free(response->body);
	free(response->link);
	*response = (struct response){0};
}

void response_set_json(struct response *response, int status, char *json_text)
{
	free(response->body);
	response->status = status;
	response->body = json_text;
}

void response_error(struct response *response, int status, const char *code, const char *message,
		    struct json_object *fields)
{
	struct json_object *error = json_object_new_object();
	json_object_object_add(error, "error", json_object_new_string(message));
	json_object_object_add(error, "code", json_object_new_string(code));
	if (fields != NULL)
		json_object_object_add(error, "fields", fields);
	response_set_json(response, status,
			  strdup(json_object_to_json_string_ext(error, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE)));
	response->error_code = code;
	json_object_put(error);
}

void response_not_found(struct response *response)
{
	response_error(response, 404, "not_found", "Not found.", NULL);
}

void response_forbidden(struct response *response, const char *message)
{
	response_error(response, 403, "forbidden", message, NULL);
}

void response_internal(struct response *response)
{
	response_error(response, 500, "internal", "The server could not complete the request.", NULL);
}
