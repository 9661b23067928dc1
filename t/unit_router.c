/*
 * Unit tests of the route table (src/router.c, API.md sections 1 and 4):
 * which pattern a path matches, with or without its trailing slash; the
 * fixed action paths before {id}; how {id} is captured and when it cannot
 * be an id; and the Allow header of each route. router_dispatch needs a
 * database and is left to the end-to-end suite.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ids.h"
#include "router.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

struct match_case {
	const char *path;
	const char *pattern;   /* NULL: no route */
	const char *id;        /* the decoded {id}, or NULL */
};

/* Matches `path` and checks the pattern and captured id; `how` names the
 * variant (e.g. "with a trailing slash") in failure messages. */
static void expect_match(const char *path, const char *pattern, const char *id, const char *how)
{
	char *got_id = (char *)"untouched";
	const struct route *route = router_match(path, &got_id);

	if (pattern == NULL) {
		cr_expect_null(route, "\"%s\" (%s) matched %s", path, how, route ? route->pattern : "");
		cr_expect_null(got_id, "\"%s\" (%s) left an id without a route", path, how);
	} else {
		cr_expect_not_null(route, "\"%s\" (%s) matched nothing", path, how);
		if (route != NULL)
			cr_expect_str_eq(route->pattern, pattern, "\"%s\" (%s) matched %s", path, how,
					 route->pattern);
		if (id == NULL)
			cr_expect_null(got_id, "\"%s\" (%s) captured \"%s\"", path, how, got_id);
		else if (got_id == NULL)
			cr_expect_not_null(got_id, "\"%s\" (%s) captured no id", path, how);
		else
			cr_expect_str_eq(got_id, id, "\"%s\" (%s) captured \"%s\"", path, how, got_id);
	}
	if (got_id != NULL && strcmp(got_id, "untouched") != 0)
		free(got_id);
}

/* Checks `path` as given and with a trailing slash added or removed. */
static void expect_match_both_ways(const struct match_case *match)
{
	size_t length = strlen(match->path);
	char *other = malloc(length + 2);

	cr_assert_not_null(other);
	memcpy(other, match->path, length + 1);
	if (length > 1 && other[length - 1] == '/')
		other[length - 1] = '\0';
	else {
		other[length] = '/';
		other[length + 1] = '\0';
	}
	expect_match(match->path, match->pattern, match->id, "as given");
	expect_match(other, match->pattern, match->id, "trailing slash toggled");
	free(other);
}

static const struct route *route_for(const char *path)
{
	char *id = NULL;
	const struct route *route = router_match(path, &id);

	cr_assert_not_null(route, "\"%s\" matched nothing", path);
	free(id);
	return route;
}

/* ------------------------------------------------------------------------
 * Matching
 * ------------------------------------------------------------------------ */

Test(router_match, every_route_matches_with_and_without_its_trailing_slash)
{
	static const struct match_case cases[] = {
		{"/healthz", "/healthz", NULL},
		{"/metrics", "/metrics", NULL},
		{"/api/chats", "/api/chats", NULL},
		{"/api/chats/create_or_get_chat", "/api/chats/create_or_get_chat", NULL},
		{"/api/chats/get_user_chats", "/api/chats/get_user_chats", NULL},
		{"/api/chats/CHAT_t_abc123_p_abc123", "/api/chats/{id}", "CHAT_t_abc123_p_abc123"},
		{"/api/chats/CHAT_t_abc123_p_abc123/update_status", "/api/chats/{id}/update_status",
		 "CHAT_t_abc123_p_abc123"},
		{"/api/chats/CHAT_t_abc123_p_abc123/toggle_notifications", "/api/chats/{id}/toggle_notifications",
		 "CHAT_t_abc123_p_abc123"},
		{"/api/chats/CHAT_t_abc123_p_abc123/mark_all_read", "/api/chats/{id}/mark_all_read",
		 "CHAT_t_abc123_p_abc123"},
		{"/api/chat-rooms", "/api/chat-rooms", NULL},
		{"/api/chat-rooms/ROOM_t_abc123_p_abc123", "/api/chat-rooms/{id}", "ROOM_t_abc123_p_abc123"},
		{"/api/chat-rooms/ROOM_t_abc123_p_abc123/update_permissions",
		 "/api/chat-rooms/{id}/update_permissions", "ROOM_t_abc123_p_abc123"},
		{"/api/chat-rooms/ROOM_t_abc123_p_abc123/archive_room", "/api/chat-rooms/{id}/archive_room",
		 "ROOM_t_abc123_p_abc123"},
		{"/api/chat-rooms/ROOM_t_abc123_p_abc123/activate_room", "/api/chat-rooms/{id}/activate_room",
		 "ROOM_t_abc123_p_abc123"},
		{"/api/messages", "/api/messages", NULL},
		{"/api/messages/get_unread_messages", "/api/messages/get_unread_messages", NULL},
		{"/api/messages/send_message", "/api/messages/send_message", NULL},
		{"/api/messages/MSG_1_abc", "/api/messages/{id}", "MSG_1_abc"},
		{"/api/messages/MSG_1_abc/history", "/api/messages/{id}/history", "MSG_1_abc"},
		{"/api/messages/MSG_1_abc/mark_emergency", "/api/messages/{id}/mark_emergency", "MSG_1_abc"},
		{"/api/messages/MSG_1_abc/mark_read", "/api/messages/{id}/mark_read", "MSG_1_abc"},
		{"/api/messages/MSG_1_abc/edit_message", "/api/messages/{id}/edit_message", "MSG_1_abc"},
		{"/api/messages/MSG_1_abc/delete_message", "/api/messages/{id}/delete_message", "MSG_1_abc"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_match_both_ways(&cases[i]);
}

Test(router_match, action_paths_win_over_the_id_pattern)
{
	static const struct match_case cases[] = {
		{"/api/chats/create_or_get_chat", "/api/chats/create_or_get_chat", NULL},
		{"/api/chats/create_or_get_chat/", "/api/chats/create_or_get_chat", NULL},
		{"/api/chats/get_user_chats", "/api/chats/get_user_chats", NULL},
		{"/api/chats/get_user_chats/", "/api/chats/get_user_chats", NULL},
		/* Only the exact words are actions; anything else is an id. */
		{"/api/chats/create_or_get_chats", "/api/chats/{id}", "create_or_get_chats"},
		{"/api/chats/Get_user_chats", "/api/chats/{id}", "Get_user_chats"},
		{"/api/messages/send_message", "/api/messages/send_message", NULL},
		{"/api/messages/get_unread_messages/", "/api/messages/get_unread_messages", NULL},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_match(cases[i].path, cases[i].pattern, cases[i].id, "as given");
}

Test(router_match, id_is_percent_decoded_and_keeps_plus)
{
	static const struct match_case cases[] = {
		{"/api/chats/CHAT%5Ft%5Fabc123", "/api/chats/{id}", "CHAT_t_abc123"},
		{"/api/chats/a%20b", "/api/chats/{id}", "a b"},
		{"/api/chats/a+b", "/api/chats/{id}", "a+b"},
		{"/api/chats/%C3%A9t%C3%A9", "/api/chats/{id}", "\xc3\xa9t\xc3\xa9"},
		{"/api/chat-rooms/x%2Fy/archive_room", "/api/chat-rooms/{id}/archive_room", "x/y"},
		{"/api/chats/%63reate_or_get_chat", "/api/chats/{id}", "create_or_get_chat"},
		/* The caller strips the query string; a '?' left in a path is data. */
		{"/api/chats/a%3Fb", "/api/chats/{id}", "a?b"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_match_both_ways(&cases[i]);
}

Test(router_match, unknown_and_malformed_paths_match_nothing)
{
	static const char *const cases[] = {
		"",
		"/",
		"//",
		"api/chats",
		"/api",
		"/api/",
		"/api/chat",
		"/api/chatsx",
		"/API/chats",
		"/api/message",
		"/healthz/x",
		"/metrics/x",
		"//api/chats",
		"/api//chats",
		"/api/chats//",
		"/api/chats///",
		"/api/chats//update_status",
		"/api/chats/a/b",
		"/api/chats/a/b/c",
		"/api/chats/a/update_status/x",
		"/api/chats/a/unknown_action",
		"/api/chats/a/UPDATE_STATUS",
		"/api/chats/create_or_get_chat/x",
		"/api/chat-rooms/a/b/c",
		"/api/chat-rooms/a/update_status",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_match(cases[i], NULL, NULL, "as given");
	expect_match(NULL, NULL, NULL, "NULL path");
}

Test(router_match, id_of_up_to_path_id_max_bytes_after_decoding_is_accepted)
{
	char path[16 + 3 * PATH_ID_MAX + 1];
	char expected[PATH_ID_MAX + 1];

	/* PATH_ID_MAX plain characters. */
	memset(expected, 'a', PATH_ID_MAX);
	expected[PATH_ID_MAX] = '\0';
	snprintf(path, sizeof path, "/api/chats/%s", expected);
	expect_match(path, "/api/chats/{id}", expected, "PATH_ID_MAX plain");

	/* PATH_ID_MAX characters, each sent as a three-byte escape. */
	strcpy(path, "/api/chats/");
	for (int i = 0; i < PATH_ID_MAX; i++)
		strcat(path, "%61");
	expect_match(path, "/api/chats/{id}", expected, "PATH_ID_MAX escaped");
}

Test(router_match, id_longer_than_path_id_max_after_decoding_matches_nothing)
{
	char path[16 + 3 * (PATH_ID_MAX + 1) + 1];
	char id[PATH_ID_MAX + 2];

	memset(id, 'a', PATH_ID_MAX + 1);
	id[PATH_ID_MAX + 1] = '\0';
	snprintf(path, sizeof path, "/api/chats/%s", id);
	expect_match(path, NULL, NULL, "PATH_ID_MAX + 1 plain");
	snprintf(path, sizeof path, "/api/chat-rooms/%s/archive_room", id);
	expect_match(path, NULL, NULL, "PATH_ID_MAX + 1 plain, action");

	strcpy(path, "/api/chats/");
	for (int i = 0; i < PATH_ID_MAX + 1; i++)
		strcat(path, "%61");
	expect_match(path, NULL, NULL, "PATH_ID_MAX + 1 escaped");
}

Test(router_match, id_with_nul_or_invalid_utf8_or_a_bad_escape_matches_nothing)
{
	static const char *const cases[] = {
		"/api/chats/%00",
		"/api/chats/abc%00def",
		"/api/chats/abc%00/update_status",
		"/api/chat-rooms/%00",
		"/api/chats/%C3",
		"/api/chats/%C0%80",
		"/api/chats/%ED%A0%80",
		"/api/chats/%F4%90%80%80",
		"/api/chats/%FF",
		"/api/chats/%80abc",
		"/api/chats/\xc3",
		"/api/chats/\xff/mark_all_read",
		"/api/chats/%",
		"/api/chats/%4",
		"/api/chats/%zz",
		"/api/chat-rooms/%zz/archive_room",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_match(cases[i], NULL, NULL, "as given");
}

Test(router_match, id_is_null_for_a_route_without_id)
{
	static const char *const cases[] = {"/healthz", "/api/chats", "/api/chats/get_user_chats",
					    "/api/chat-rooms/"};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_match(cases[i], route_for(cases[i])->pattern, NULL, "as given");
}

/* ------------------------------------------------------------------------
 * Allow
 * ------------------------------------------------------------------------ */

Test(router_allow, lists_the_methods_of_each_route_in_a_fixed_order)
{
	static const struct {
		const char *path, *allow;
	} cases[] = {
		{"/healthz", "GET"},
		{"/api/chats", "GET, POST"},
		{"/api/chats/create_or_get_chat", "POST"},
		{"/api/chats/get_user_chats", "GET"},
		{"/api/chats/x", "GET, PUT, PATCH, DELETE"},
		{"/api/chats/x/update_status", "POST"},
		{"/api/chats/x/toggle_notifications", "POST"},
		{"/api/chats/x/mark_all_read", "POST"},
		{"/api/chat-rooms", "GET, POST"},
		{"/api/chat-rooms/x", "GET, PUT, PATCH, DELETE"},
		{"/api/chat-rooms/x/update_permissions", "POST"},
		{"/api/chat-rooms/x/archive_room", "POST"},
		{"/api/chat-rooms/x/activate_room", "POST"},
	};

	/* Twice: the second call must give the same text as the first. */
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			cr_expect_str_eq(router_allow(route_for(cases[i].path)), cases[i].allow, "%s (round %d)",
					 cases[i].path, round);
}

Test(router_allow, matches_the_handlers_of_the_route)
{
	static const char *const paths[] = {"/healthz", "/api/chats", "/api/chats/x", "/api/chats/x/mark_all_read",
					    "/api/chat-rooms/x"};

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		const struct route *route = route_for(paths[i]);
		const char *allow = router_allow(route);

		for (int m = 0; m < HTTP_METHOD__MAX; m++) {
			bool listed = false;
			const char *at = allow;
			size_t name_length = strlen(http_method_names[m]);

			while ((at = strstr(at, http_method_names[m])) != NULL) {
				if ((at == allow || at[-1] == ' ') && (at[name_length] == '\0' || at[name_length] == ','))
					listed = true;
				at += name_length;
			}
			cr_expect_eq(listed, route->handlers[m] != NULL, "%s: %s in \"%s\"", paths[i],
				     http_method_names[m], allow);
		}
	}
}

Test(router_match, only_healthz_is_public)
{
	static const char *const paths[] = {"/api/chats", "/api/chats/create_or_get_chat", "/api/chats/x",
					    "/api/chats/x/update_status", "/api/chat-rooms", "/api/chat-rooms/x",
					    "/api/chat-rooms/x/activate_room"};

	cr_expect(route_for("/healthz")->public);
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		cr_expect_not(route_for(paths[i])->public, "%s is public", paths[i]);
}
