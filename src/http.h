/*
 * The transport-free request and response that handlers work on, and the
 * helpers that parse a request's parts (query string, percent-encoding,
 * content type) and fill a response (JSON bodies, errors, headers).
 */
#ifndef TCCHAT_HTTP_H
#define TCCHAT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"

enum http_method {
	HTTP_GET,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_METHOD__MAX,
	HTTP_METHOD_OTHER = HTTP_METHOD__MAX
};

extern const char *const http_method_names[HTTP_METHOD__MAX];

struct query_param {
	char *name;   /* percent-decoded */
	char *value;  /* percent-decoded; NULL when malformed */
};

struct request {
	enum http_method method;
	bool head;                  /* HEAD: served as GET without a body */
	char *path;                 /* as sent, without the query string */
	char *query_string;         /* raw, may be empty */
	struct query_param *params;
	size_t param_count;
	char *content_type;         /* NULL when absent */
	char *authorization;        /* NULL when absent */
	char *idempotency_key;      /* NULL when absent */
	char *request_id;           /* from nginx's $request_id; NULL when absent */
	char *host;                 /* for absolute Link URLs; NULL when absent */
	bool https;
	char *body;                 /* NUL-terminated copy, NULL when empty */
	size_t body_length;
	bool body_too_large;        /* the body exceeded the configured limit */

	/* Filled by the router. */
	const char *route;          /* the matched route pattern, for logs */
	size_t route_index;         /* the route's number, for metrics */
	char *path_id;              /* the {id} segment of the path, or NULL */
	struct identity caller;
};

struct response {
	int status;
	char *body;                 /* owned JSON text; NULL for an empty body */
	const char *content_type;   /* static; NULL for JSON */
	const char *allow;          /* Allow header (static string) or NULL */
	char *link;                 /* owned Link header value or NULL */
	const char *www_authenticate; /* static WWW-Authenticate value or NULL */
	const char *error_code;     /* the error code sent, for logs; NULL on success */
	char cause[64];             /* a database failure's statement and SQLSTATE, for logs */
};

enum http_method http_method_from_name(const char *name);

/* Parses `query_string` into request->params. A pair whose name is not
 * valid percent-encoding or UTF-8 once decoded is dropped: it cannot be a
 * parameter the service knows, and unknown parameters are ignored. A known
 * name with such a value is kept as malformed, for its reader to refuse. */
void request_parse_query(struct request *request);

/* The decoded value of the first parameter called `name`; NULL when there
 * is none or its value is malformed. */
const char *request_param(const struct request *request, const char *name);

/* Whether the first parameter called `name` has a malformed value. */
bool request_param_malformed(const struct request *request, const char *name);

/* Decodes %XX and '+' (when `plus_is_space`) from `in` into a new string.
 * Returns NULL on a malformed escape or an embedded NUL. */
char *percent_decode(const char *in, size_t length, bool plus_is_space);

/* Appends a percent-encoded copy of `in` (query-component safe). */
struct buf;
void percent_encode(struct buf *out, const char *in);

bool utf8_valid(const char *text, size_t length);

/* Number of Unicode code points in valid UTF-8 `text`. */
size_t utf8_length(const char *text);

/* True when the Content-Type names application/json (parameters allowed,
 * a charset other than utf-8 refused). */
bool content_type_is_json(const char *content_type);

void request_free(struct request *request);
void response_free(struct response *response);

/* Takes ownership of `json_text` (may be NULL for 204). */
void response_set_json(struct response *response, int status, char *json_text);

/*
 * Sets an error response: {"error": message, "code": code} and, when
 * `fields` is not NULL, "fields" (ownership of `fields`, a json_object, is
 * taken). The code is one of API.md's error codes; the status follows it.
 */
struct json_object;
void response_error(struct response *response, int status, const char *code,
		    const char *message, struct json_object *fields);

/* Shorthands for the errors every handler produces. */
void response_not_found(struct response *response);
void response_forbidden(struct response *response, const char *message);
void response_internal(struct response *response);

#endif
