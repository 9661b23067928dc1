/*
 * End-to-end test harness: starts the whole stack (PostgreSQL, workers, nginx)
 * once for the test program through contrib/stack, and gives the tests an
 * HTTP client (libcurl), token minting (libjwt), json-c accessors and a
 * one-value SQL query (libpq).
 *
 * Ownership: every pointer a helper returns (replies, tokens, ids, strings)
 * belongs to the harness and is released by e2e_teardown() at the end of the
 * test; e2e_reply_free() releases a reply earlier (useful in loops).
 * Every suite declares `.init = e2e_setup, .fini = e2e_teardown`.
 */
#ifndef TCCHAT_E2E_H
#define TCCHAT_E2E_H

#include <stdbool.h>
#include <stddef.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

/* The fixed HS256 secret the stack is started with (at least 32 bytes). */
#define E2E_JWT_SECRET "e2e-test-secret-0123456789-abcdefghijklmnop"

/* Per-test setup and teardown: every suite names them. */
void e2e_setup(void);
void e2e_teardown(void);

/* A request on an object or one of its actions (the visibility tests of
 * each resource list them all). */
struct e2e_call {
	const char *method;
	const char *action;   /* NULL: the object itself */
	const char *body;
};

/* Notes the texts a request carries, for e2e_logs_check (t/e2e_logs.c). */
void e2e_watch_texts(const char *path, const char *body, size_t length);

/* Once the stack in `stack_dir` has stopped: fails the run (one failed test
 * more in `stats`) if its logs hold a sanitizer report or anything that
 * must never be logged. */
struct criterion_global_stats;
void e2e_logs_check(const char *stack_dir, struct criterion_global_stats *stats);

#define E2E_SUITE(name) TestSuite(name, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60)

/* ------------------------------------------------------------------ HTTP */

struct e2e_reply {
	long status;
	char *body;                 /* NUL-terminated, "" when empty */
	size_t body_length;
	struct json_object *json;   /* parsed body, NULL when not JSON */
	char *headers;              /* raw response header block */
};

/*
 * Sends `method path` to TCCHAT_URL with `Authorization: Bearer token` (none
 * when token is NULL). A non-NULL body is sent with Content-Type:
 * application/json unless `extra_header` names another Content-Type; a NULL
 * body on POST/PUT/PATCH sends an empty body without a Content-Type.
 * `extra_header` is one "Name: value" line or NULL. `path` may also be an
 * absolute URL (as in a Link header): its path and query are sent to the
 * stack. Fails the test when the transfer itself fails.
 */
struct e2e_reply *e2e_request(const char *method, const char *path, const char *token,
			      const char *body, const char *extra_header);
/* Same, with a body of `length` bytes (may hold any bytes) and up to
 * `header_count` extra header lines. */
struct e2e_reply *e2e_request_raw(const char *method, const char *path, const char *token,
				  const char *body, size_t length,
				  const char *const *headers, size_t header_count);
/* `count` identical requests sent at once (curl multi, one connection each);
 * fills replies[0..count-1]. */
void e2e_request_concurrent(size_t count, const char *method, const char *path,
			    const char *token, const char *body, struct e2e_reply **replies);
void e2e_reply_free(struct e2e_reply *reply);

/* Value of the first response header called `name` (case-insensitive), or
 * NULL. Harness-owned. */
const char *e2e_header(const struct e2e_reply *reply, const char *name);
/* The URL inside `Link: <URL>; rel="next"`, or NULL. Harness-owned. */
const char *e2e_link_next(const struct e2e_reply *reply);

/* printf into a harness-owned string. */
const char *e2e_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* ----------------------------------------------------------------- Tokens */

/* A token for `user_id`: HS256, the test secret, exp in 10 minutes,
 * token_type access; the role comes from the id prefix. */
const char *e2e_token(const char *user_id);
/* The same with a `role` claim. */
const char *e2e_token_role(const char *user_id, const char *role);
/* An admin token (role admin) for a fresh admin id. */
const char *e2e_admin_token(void);

#define E2E_OMIT (-999999L)   /* a time offset that leaves the claim out */

struct e2e_claims {
	const char *user_id;       /* NULL: no user_id claim */
	const char *sub;           /* NULL: no sub claim */
	const char *role;          /* NULL: no role claim */
	const char *token_type;    /* NULL: no token_type claim */
	long exp;                  /* seconds from now; E2E_OMIT: none */
	long nbf;                  /* seconds from now; E2E_OMIT: none */
	long iat;                  /* seconds from now; E2E_OMIT: none */
	const char *secret;        /* NULL: the test secret */
	const char *algorithm;     /* NULL: "HS256"; also "HS384", "HS512", "none" */
};
/* The defaults of e2e_token(): pass to e2e_token_claims after changing some. */
struct e2e_claims e2e_claims_default(const char *user_id);
const char *e2e_token_claims(const struct e2e_claims *claims);

/* ------------------------------------------------------------ Directory */

/* A fresh therapist / patient of the directory (t_e2e_sql), never handed to
 * another test: t_NNNNNN / p_NNNNNN with first name Tina/Paul + N and last
 * name Tester/Patient + N (see t/e2e_directory.sql). */
const char *e2e_new_therapist(void);
const char *e2e_new_patient(void);
/* Well-formed ids that are not in the directory. */
const char *e2e_absent_therapist(void);
const char *e2e_absent_patient(void);
const char *e2e_first_name(const char *user_id);
const char *e2e_last_name(const char *user_id);
const char *e2e_full_name(const char *user_id);

/* A therapist and a patient of their own with tokens, and the ids their chat
 * and room have (or will have). */
struct e2e_pair {
	const char *therapist;
	const char *patient;
	const char *therapist_token;
	const char *patient_token;
	const char *chat_id;        /* CHAT_{therapist}_{patient} */
	const char *room_id;        /* ROOM_{therapist}_{patient} */
};
struct e2e_pair e2e_pair_new(void);
/* A new pair whose chat has been created (create_or_get_chat → 201). */
struct e2e_pair e2e_pair_with_chat(void);
/* Body {"therapist_id": …, "patient_id": …}. */
const char *e2e_pair_body(const char *therapist, const char *patient);

/* ------------------------------------------------------------------ JSON */

struct json_object *e2e_get(struct json_object *object, const char *key);
bool e2e_has(struct json_object *object, const char *key);
bool e2e_is_null(struct json_object *object, const char *key);   /* present and null */
bool e2e_is_type(struct json_object *object, const char *key, enum json_type type);
const char *e2e_str(struct json_object *object, const char *key); /* NULL unless a string */
long long e2e_int(struct json_object *object, const char *key);  /* fails unless an int */
bool e2e_bool(struct json_object *object, const char *key);      /* fails unless a bool */
size_t e2e_len(struct json_object *array);                        /* fails unless an array */
struct json_object *e2e_at(struct json_object *array, size_t index);
/* The element of a JSON array whose "id" equals `id`, or NULL. */
struct json_object *e2e_find_id(struct json_object *array, const char *id);
/* The keys of `object` equal exactly the NULL-terminated list. */
bool e2e_keys_are(struct json_object *object, const char *const *keys);
/* The keys of `object` are all of `required` and some of `optional` (both
 * NULL-terminated; optional may be NULL). */
bool e2e_keys_match(struct json_object *object, const char *const *required,
		    const char *const *optional);
/* RFC 3339 UTC with microseconds: 2026-11-26T04:12:56.123456Z. */
bool e2e_is_timestamp(const char *text);
/* A string of `count` copies of `unit`. Harness-owned. */
const char *e2e_repeat(const char *unit, size_t count);

/* ------------------------------------------------------------------- SQL */

/* Runs `query` with the NULL-terminated text parameters against
 * TCCHAT_DATABASE_URL and returns the first column of the first row
 * (harness-owned), or NULL for no row or SQL NULL. Fails on error. */
const char *e2e_sql(const char *query, ...) __attribute__((sentinel));

/* A transaction of the workers' role held open, to stand for a request
 * under way beside the ones a test sends: e2e_tx_begin opens it,
 * e2e_tx_end commits it (or rolls it back) and closes it. */
struct e2e_tx;
struct e2e_tx *e2e_tx_begin(void);
void e2e_tx_end(struct e2e_tx *tx, bool commit);
/* Runs `query` in it with the NULL-terminated text parameters; returns the
 * first column of the first row (harness-owned) or NULL. Fails on error. */
const char *e2e_tx_sql(struct e2e_tx *tx, const char *query, ...) __attribute__((sentinel));
/* Locks chat `chat_id` in it, as a write does. */
void e2e_tx_lock_chat(struct e2e_tx *tx, const char *chat_id);
/* Waits (up to 10 s, else fails) until another session has waited at
 * least `waited_ms` for a lock it holds: a request the test started has got
 * that far. */
void e2e_tx_wait_until_blocking(struct e2e_tx *tx, int waited_ms);
/* Sends `text` into `chat_id` in it as `sender` (a therapist or patient
 * of the chat), as the service's send does; returns the message's id. */
const char *e2e_tx_send(struct e2e_tx *tx, const char *sender, const char *chat_id, const char *text);

/* ------------------------------------------------------------ Assertions */

/* The reply has `status`; on failure the message shows the body. */
#define expect_status(reply, expected)                                                   \
	cr_assert_eq((reply)->status, (long)(expected), "expected HTTP %ld, got %ld: %s",     \
		     (long)(expected), (reply)->status, (reply)->body)

/* The reply is `status` with a JSON error body {"error": sentence, "code": code}. */
#define expect_error(reply, expected_status, expected_code)                              \
	e2e_expect_error((reply), (expected_status), (expected_code), __FILE__, __LINE__)
void e2e_expect_error(const struct e2e_reply *reply, long status, const char *code,
		      const char *file, int line);

/* A 400 validation_error whose "fields" names `field`. */
#define expect_field_error(reply, field)                                                 \
	e2e_expect_field_error((reply), (field), __FILE__, __LINE__)
void e2e_expect_field_error(const struct e2e_reply *reply, const char *field,
			    const char *file, int line);

/* The ids of a 200 list reply, in order, joined by spaces. */
const char *e2e_list_ids(struct e2e_reply *reply);

#endif
