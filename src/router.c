/*
 * The route table and request dispatch. As in the original service, the
 * first pattern that matches a path decides it: the fixed action paths
 * come before the {id} patterns they would otherwise fall into.
 */
#include <stdlib.h>
#include <string.h>

#include "chats.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "messages.h"
#include "rooms.h"
#include "service.h"
#include "router.h"

static const struct route routes[] = {
	{"/healthz", true, {[HTTP_GET] = service_health}},
	{"/metrics", true, {[HTTP_GET] = service_metrics}},

	{"/api/chats", false, {[HTTP_GET] = chats_list, [HTTP_POST] = chats_create}},
	{"/api/chats/create_or_get_chat", false, {[HTTP_POST] = chats_create_or_get}},
	{"/api/chats/get_user_chats", false, {[HTTP_GET] = chats_user_chats}},
	{"/api/chats/{id}", false,
	 {[HTTP_GET] = chats_get, [HTTP_PUT] = chats_put, [HTTP_PATCH] = chats_patch, [HTTP_DELETE] = chats_delete}},
	{"/api/chats/{id}/update_status", false, {[HTTP_POST] = chats_update_status}},
	{"/api/chats/{id}/toggle_notifications", false, {[HTTP_POST] = chats_toggle_notifications}},
	{"/api/chats/{id}/mark_all_read", false, {[HTTP_POST] = chats_mark_all_read}},

	{"/api/messages", false, {[HTTP_GET] = messages_list, [HTTP_POST] = messages_send}},
	{"/api/messages/get_unread_messages", false, {[HTTP_GET] = messages_unread}},
	{"/api/messages/send_message", false, {[HTTP_POST] = messages_send}},
	{"/api/messages/{id}", false,
	 {[HTTP_GET] = messages_get, [HTTP_PUT] = messages_put, [HTTP_PATCH] = messages_patch,
	  [HTTP_DELETE] = messages_delete}},
	{"/api/messages/{id}/history", false, {[HTTP_GET] = messages_history}},
	{"/api/messages/{id}/mark_emergency", false, {[HTTP_POST] = messages_mark_emergency}},
	{"/api/messages/{id}/mark_read", false, {[HTTP_POST] = messages_mark_read}},
	{"/api/messages/{id}/edit_message", false, {[HTTP_POST] = messages_edit}},
	{"/api/messages/{id}/delete_message", false, {[HTTP_POST] = messages_delete_action}},

	{"/api/chat-rooms", false, {[HTTP_GET] = rooms_list, [HTTP_POST] = rooms_create}},
	{"/api/chat-rooms/{id}", false,
	 {[HTTP_GET] = rooms_get, [HTTP_PUT] = rooms_put, [HTTP_PATCH] = rooms_patch, [HTTP_DELETE] = rooms_delete}},
	{"/api/chat-rooms/{id}/update_permissions", false, {[HTTP_POST] = rooms_update_permissions}},
	{"/api/chat-rooms/{id}/archive_room", false, {[HTTP_POST] = rooms_archive}},
	{"/api/chat-rooms/{id}/activate_room", false, {[HTTP_POST] = rooms_activate}},
};

#define ROUTE_COUNT (sizeof routes / sizeof routes[0])

_Static_assert(ROUTE_COUNT + 1 <= METRICS_ROUTES_MAX, "every route, and unmatched paths, must have metrics");

/* Compares one pattern segment with one path segment (both `length`
 * delimited); {id} takes any segment that decodes to a possible id. */
static bool segment_matches(const char *pattern, size_t pattern_length, const char *segment, size_t length,
			    char **id)
{
	if (pattern_length == 4 && memcmp(pattern, "{id}", 4) == 0) {
		if (length == 0 || length > 3 * PATH_ID_MAX)
			return false;
		char *decoded = percent_decode(segment, length, false);
		if (decoded == NULL || strlen(decoded) > PATH_ID_MAX || !utf8_valid(decoded, strlen(decoded))) {
			free(decoded);
			return false;
		}
		free(*id);
		*id = decoded;
		return true;
	}
	return pattern_length == length && memcmp(pattern, segment, length) == 0;
}

static bool route_matches(const char *pattern, const char *path, size_t path_length, char **id)
{
	const char *p = pattern, *s = path, *path_end = path + path_length;
	while (*p && s < path_end) {
		if (*p != '/' || *s != '/')
			return false;
		p++, s++;
		const char *p_end = strchr(p, '/');
		const char *s_end = memchr(s, '/', (size_t)(path_end - s));
		size_t p_length = p_end ? (size_t)(p_end - p) : strlen(p);
		size_t s_length = s_end ? (size_t)(s_end - s) : (size_t)(path_end - s);
		if (!segment_matches(p, p_length, s, s_length, id))
			return false;
		p += p_length, s += s_length;
	}
	return *p == '\0' && s == path_end;
}

const struct route *router_match(const char *path, char **id)
{
	*id = NULL;
	if (path == NULL || path[0] != '/')
		return NULL;
	size_t length = strlen(path);
	/* One trailing slash is optional. */
	if (length > 1 && path[length - 1] == '/')
		length--;
	for (size_t i = 0; i < ROUTE_COUNT; i++)
		if (route_matches(routes[i].pattern, path, length, id))
			return &routes[i];
	free(*id);
	*id = NULL;
	return NULL;
}

const char *const *router_route_names(size_t *count)
{
	static const char *names[ROUTE_COUNT + 1];
	if (names[0] == NULL) {
		for (size_t i = 0; i < ROUTE_COUNT; i++)
			names[i] = routes[i].pattern;
		names[ROUTE_COUNT] = "unmatched";
	}
	*count = ROUTE_COUNT + 1;
	return names;
}

const char *router_allow(const struct route *route)
{
	/* Built once per route; the worker serves one request at a time. */
	static char allow[ROUTE_COUNT][48];
	char *text = allow[route - routes];
	if (text[0] == '\0')
		for (int m = 0; m < HTTP_METHOD__MAX; m++)
			if (route->handlers[m] != NULL) {
				if (text[0] != '\0')
					strcat(text, ", ");
				strcat(text, http_method_names[m]);
			}
	return text;
}

static void respond_unauthenticated(struct response *response, enum auth_result result)
{
	if (result == AUTH_MISSING) {
		response_error(response, 401, "not_authenticated", "Authentication credentials were not provided.",
			       NULL);
		response->www_authenticate = "Bearer";
	} else {
		response_error(response, 401, "invalid_token", "Given token not valid for any token type", NULL);
		response->www_authenticate = "Bearer error=\"invalid_token\"";
	}
}

void router_dispatch(struct request *request, struct db *db, struct auth_keys *keys, time_t now,
		     struct response *response)
{
	const struct route *route = router_match(request->path, &request->path_id);
	if (route == NULL) {
		request->route = "-";
		request->route_index = ROUTE_COUNT;
		response_not_found(response);
		return;
	}
	request->route = route->pattern;
	request->route_index = (size_t)(route - routes);
	if (!route->public) {
		const char *reason = NULL;
		enum auth_result result = auth_verify_bearer(keys, request->authorization, now, &request->caller,
							     &reason);
		if (result != AUTH_OK) {
			log_debug("auth: %s", reason ? reason : "rejected");
			respond_unauthenticated(response, result);
			return;
		}
	}
	handler_fn *handler = request->method < HTTP_METHOD__MAX ? route->handlers[request->method] : NULL;
	if (handler == NULL) {
		response_error(response, 405, "method_not_allowed", "Method not allowed.", NULL);
		response->allow = router_allow(route);
		return;
	}
	if (request->body_too_large) {
		response_error(response, 413, "payload_too_large", "The request body is too large.", NULL);
		return;
	}
	request_parse_query(request);
	handler(request, db, response);
	db_end_request(db);
}
