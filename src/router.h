/*
 * The route table (method + path pattern → handler) and the dispatch of a
 * request through it: 404 for an unknown path, 401 for a missing or bad
 * token, 405 with Allow for a wrong method, 413 for an oversized body.
 */
#ifndef TCCHAT_ROUTER_H
#define TCCHAT_ROUTER_H

#include <time.h>

#include "auth.h"
#include "handler.h"

struct route {
	const char *pattern;    /* without trailing slash; {id} matches one segment */
	bool public;            /* served without a token */
	handler_fn *handlers[HTTP_METHOD__MAX];
};

/* The route for `path` (with or without its trailing slash, query string
 * excluded), or NULL. `*id` receives a new copy of the decoded {id}
 * segment, or NULL when the pattern has none. */
const struct route *router_match(const char *path, char **id);

/* The route patterns by route_index, the last one "unmatched" for paths
 * no route takes; `*count` receives how many. */
const char *const *router_route_names(size_t *count);

/* The methods a route answers, as an Allow header value. */
const char *router_allow(const struct route *route);

/* Routes, authenticates and handles `request`, filling `response`. */
void router_dispatch(struct request *request, struct db *db, struct auth_keys *keys, time_t now,
		     struct response *response);

#endif
