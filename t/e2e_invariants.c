/*
 * End-to-end proof that the counters and the preview of a chat stay true
 * under concurrency (issue 3, point 5; API.md section 3, the unread-count
 * invariant and last_message_*): both participants send in parallel while
 * each marks the other's messages read, lists them, and deletes some, and
 * while a checker reads the chat row and its messages in one snapshot again
 * and again. Also the concurrent forms of the single-message rules: the
 * emergency limit, Idempotency-Key, mark_all_read and delete_message.
 *
 * The worker threads speak HTTP through libcurl and PostgreSQL through libpq
 * directly: the harness helpers (and Criterion's assertions) belong to the
 * test's main thread, which asserts on what the threads recorded once they
 * have all joined.
 */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2e.h"

E2E_SUITE(invariants);

/* ======================================================= a thread's HTTP */

struct answer {
	long status;
	char *body;
	size_t length;
};

static size_t answer_append(char *data, size_t size, size_t count, void *user)
{
	struct answer *answer = user;
	char *grown = realloc(answer->body, answer->length + size * count + 1);
	if (grown == NULL)
		return 0;
	answer->body = grown;
	memcpy(answer->body + answer->length, data, size * count);
	answer->length += size * count;
	answer->body[answer->length] = '\0';
	return size * count;
}

/* One request on `easy` (kept alive between calls). Returns false when the
 * transfer itself failed; `answer->body` is the caller's to free. */
static bool http_call(CURL *easy, const char *method, const char *path, const char *token,
		      const char *body, const char *extra_header, struct answer *answer)
{
	char url[1024];
	char authorization[2048];
	snprintf(url, sizeof url, "%s%s", getenv("TCCHAT_URL"), path);
	snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", token);
	memset(answer, 0, sizeof *answer);
	curl_easy_reset(easy);
	struct curl_slist *headers = curl_slist_append(NULL, authorization);
	headers = curl_slist_append(headers, body ? "Content-Type: application/json" : "Content-Type:");
	headers = curl_slist_append(headers, "Expect:");
	if (extra_header != NULL)
		headers = curl_slist_append(headers, extra_header);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, answer_append);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, answer);
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(body ? strlen(body) : 0));
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body ? body : "");
	}
	CURLcode code = curl_easy_perform(easy);
	curl_slist_free_all(headers);
	if (code != CURLE_OK) {
		free(answer->body);
		answer->body = NULL;
		answer->status = 0;
		return false;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &answer->status);
	if (answer->body == NULL)
		answer->body = calloc(1, 1);
	return true;
}

/* The string member `key` of a JSON object body, copied into `out`. */
static bool answer_string(const struct answer *answer, const char *key, char *out, size_t size)
{
	struct json_object *json = json_tokener_parse(answer->body ? answer->body : "");
	struct json_object *value = NULL;
	bool found = json != NULL && json_object_object_get_ex(json, key, &value) &&
		     json_object_is_type(value, json_type_string);
	if (found)
		snprintf(out, size, "%s", json_object_get_string(value));
	json_object_put(json);
	return found;
}

/* ========================================================== shared state */

enum { SIDE_THERAPIST, SIDE_PATIENT, SIDE__MAX };
enum {
	SENDERS_PER_SIDE = 4,
	MESSAGES_PER_SENDER = 50,
	MAX_MESSAGES = SENDERS_PER_SIDE * MESSAGES_PER_SENDER,
};

struct sent_message {
	char id[80];
	int number;        /* its place in its sender thread's sequence */
	bool emergency;
};

struct run {
	const char *chat_id;
	const char *token[SIDE__MAX];
	pthread_mutex_t lock;
	struct sent_message sent[SIDE__MAX][MAX_MESSAGES];   /* by sender side */
	size_t sent_count[SIDE__MAX];
	int senders_running;
	int readers_running;
	/* What the threads saw. */
	size_t requests;
	size_t failures;
	char first_failure[1024];
	size_t marked_read, marked_all, deleted, self_deleted, edited, flagged, listed, checks, violations;
	char first_violation[512];
};

static void run_record(struct run *run, const char *what, const struct answer *answer,
		       bool ok)
{
	pthread_mutex_lock(&run->lock);
	run->requests++;
	if (!ok) {
		if (run->failures++ == 0)
			snprintf(run->first_failure, sizeof run->first_failure, "%s: HTTP %ld %s", what,
				 answer->status, answer->body ? answer->body : "(transfer failed)");
	}
	pthread_mutex_unlock(&run->lock);
}

static bool anyone_running(struct run *run)
{
	pthread_mutex_lock(&run->lock);
	bool running = run->senders_running > 0 || run->readers_running > 0;
	pthread_mutex_unlock(&run->lock);
	return running;
}

/* ---------------------------------------------------------------- senders */

/* The messages their sender deletes right after sending them: one in ten
 * and the last one, so that the run ends with the preview stepping back;
 * never an edited one, never one the recipient deletes. */
static bool is_deleted_by_sender(int number)
{
	return number % 10 == 8 || number == MESSAGES_PER_SENDER - 1;
}

struct sender {
	struct run *run;
	int side;
	int number;
};

/* Every fifth message is an emergency, and one in ten more becomes one
 * after it is sent (half of those then stop being one by an edit): with
 * four threads per sender, no sender ever has 15 emergencies in a row (each
 * thread puts at most two in a run, as the recipient never deletes all the
 * non-emergencies between them), so the limit of 15 (429) is never
 * reached. Every tenth message is edited by its sender (never one the
 * recipient deletes: no 409). */
static void *sender_main(void *argument)
{
	struct sender *sender = argument;
	struct run *run = sender->run;
	CURL *easy = curl_easy_init();
	for (int i = 0; i < MESSAGES_PER_SENDER && easy != NULL; i++) {
		bool emergency = i % 5 == 4;
		char body[512];
		snprintf(body, sizeof body,
			 "{\"chat_id\": \"%s\", \"text\": \"side %d sender %d message %d\", "
			 "\"emergency\": %s}",
			 run->chat_id, sender->side, sender->number, i, emergency ? "true" : "false");
		struct answer answer;
		bool sent = http_call(easy, "POST", "/api/messages/send_message/",
				      run->token[sender->side], body, NULL, &answer);
		char id[80] = "";
		bool ok = sent && answer.status == 201 && answer_string(&answer, "id", id, sizeof id);
		run_record(run, "send_message", &answer, ok);
		free(answer.body);
		if (!ok)
			continue;
		pthread_mutex_lock(&run->lock);
		struct sent_message *slot = &run->sent[sender->side][run->sent_count[sender->side]++];
		snprintf(slot->id, sizeof slot->id, "%s", id);
		slot->number = i;
		slot->emergency = emergency;
		pthread_mutex_unlock(&run->lock);

		if (i % 10 == 2) {
			char path[256];
			snprintf(path, sizeof path, "/api/messages/%s/edit_message/", id);
			snprintf(body, sizeof body,
				 "{\"text\": \"side %d sender %d message %d, edited\"}", sender->side,
				 sender->number, i);
			sent = http_call(easy, "POST", path, run->token[sender->side], body, NULL,
					 &answer);
			run_record(run, "edit_message", &answer, sent && answer.status == 200);
			free(answer.body);
			pthread_mutex_lock(&run->lock);
			run->edited++;
			pthread_mutex_unlock(&run->lock);
		}
		if (i % 10 == 7) {
			/* Flagged while the recipient may be reading it. */
			char path[256];
			snprintf(path, sizeof path, "/api/messages/%s/mark_emergency/", id);
			sent = http_call(easy, "POST", path, run->token[sender->side], NULL, NULL, &answer);
			run_record(run, "mark_emergency", &answer, sent && answer.status == 200);
			free(answer.body);
			if (i % 20 == 7) {
				snprintf(path, sizeof path, "/api/messages/%s/", id);
				sent = http_call(easy, "PATCH", path, run->token[sender->side],
						 "{\"emergency\": false}", NULL, &answer);
				run_record(run, "PATCH emergency", &answer, sent && answer.status == 200);
				free(answer.body);
			}
			pthread_mutex_lock(&run->lock);
			run->flagged++;
			pthread_mutex_unlock(&run->lock);
		}
		if (is_deleted_by_sender(i)) {
			/* Most likely the newest message: the preview must step back. */
			char path[256];
			snprintf(path, sizeof path, "/api/messages/%s/", id);
			sent = http_call(easy, "DELETE", path, run->token[sender->side], NULL, NULL,
					 &answer);
			run_record(run, "DELETE", &answer, sent && answer.status == 204);
			free(answer.body);
			pthread_mutex_lock(&run->lock);
			run->self_deleted++;
			pthread_mutex_unlock(&run->lock);
		}
	}
	curl_easy_cleanup(easy);
	pthread_mutex_lock(&run->lock);
	run->senders_running--;
	pthread_mutex_unlock(&run->lock);
	return NULL;
}

/* ---------------------------------------------------------------- readers */

enum reader_role { READER_MARKS, READER_DELETES };

struct reader {
	struct run *run;
	int side;               /* its own side; it handles the other side's messages */
	enum reader_role role;
};

static void pause_briefly(void)
{
	struct timespec pause = {0, 2 * 1000 * 1000};
	nanosleep(&pause, NULL);
}

/* Which of a sender's messages the recipient deletes: half the emergencies
 * and one in five of the rest. Never an edited one (i % 10 == 2), and with
 * the sender's own deletes at least two non-emergencies stay between a
 * thread's emergencies, so the emergency limit is never reached. */
static bool is_deleted_by_recipient(const struct sent_message *message)
{
	return message->number % 10 == 4 || message->number % 5 == 1;
}

/* Goes through the other side's messages as they arrive. The marker marks
 * three in four of those that are not to be deleted read one by one, and now
 * and then marks all read or lists the chat (which delivers); the deleter
 * deletes the others. The two run at once, beside the senders. */
static void *reader_main(void *argument)
{
	struct reader *reader = argument;
	struct run *run = reader->run;
	int other = reader->side == SIDE_THERAPIST ? SIDE_PATIENT : SIDE_THERAPIST;
	const char *token = run->token[reader->side];
	CURL *easy = curl_easy_init();
	size_t next = 0;
	unsigned long operation = 0;
	while (easy != NULL) {
		struct answer answer;
		char path[512];
		operation++;
		if (reader->role == READER_MARKS && operation % 11 == 0) {
			snprintf(path, sizeof path, "/api/chats/%s/mark_all_read/", run->chat_id);
			bool sent = http_call(easy, "POST", path, token, NULL, NULL, &answer);
			run_record(run, "mark_all_read", &answer, sent && answer.status == 200);
			free(answer.body);
			pthread_mutex_lock(&run->lock);
			run->marked_all++;
			pthread_mutex_unlock(&run->lock);
			continue;
		}
		if (reader->role == READER_MARKS && operation % 7 == 0) {
			snprintf(path, sizeof path, "/api/messages/?chat_id=%s&order=desc&limit=20",
				 run->chat_id);
			bool sent = http_call(easy, "GET", path, token, NULL, NULL, &answer);
			run_record(run, "list", &answer, sent && answer.status == 200);
			free(answer.body);
			pthread_mutex_lock(&run->lock);
			run->listed++;
			pthread_mutex_unlock(&run->lock);
			continue;
		}
		struct sent_message message;
		bool have = false, finished = false;
		pthread_mutex_lock(&run->lock);
		if (next < run->sent_count[other]) {
			message = run->sent[other][next++];
			have = true;
		} else {
			finished = run->senders_running == 0;
		}
		pthread_mutex_unlock(&run->lock);
		if (finished)
			break;
		if (!have) {
			pause_briefly();
			continue;
		}
		bool to_delete = is_deleted_by_recipient(&message);
		if (reader->role == READER_DELETES && !to_delete)
			continue;
		/* The marker leaves one in four alone, so that some stay unread. */
		if (reader->role == READER_MARKS &&
		    (to_delete || is_deleted_by_sender(message.number) || next % 4 == 0))
			continue;
		snprintf(path, sizeof path, "/api/messages/%s/%s/", message.id,
			 to_delete ? "delete_message" : "mark_read");
		bool sent = http_call(easy, "POST", path, token, NULL, NULL, &answer);
		run_record(run, to_delete ? "delete_message" : "mark_read", &answer,
			   sent && answer.status == 200);
		free(answer.body);
		pthread_mutex_lock(&run->lock);
		if (to_delete)
			run->deleted++;
		else
			run->marked_read++;
		pthread_mutex_unlock(&run->lock);
	}
	curl_easy_cleanup(easy);
	pthread_mutex_lock(&run->lock);
	run->readers_running--;
	pthread_mutex_unlock(&run->lock);
	return NULL;
}

/* ---------------------------------------------------------------- checker */

/* In one statement (one snapshot): each unread counter and the count it
 * must equal (the unread counts, then the unread emergency counts), and
 * whether the preview is the newest non-deleted message. */
static const char invariant_query[] =
	"SELECT concat_ws('|', c.therapist_unread_count, "
	"  (SELECT count(*) FROM messages m WHERE m.chat_id = c.id AND m.sender_id = c.patient_id "
	"     AND NOT m.deleted AND m.read_status <> 'read'), "
	"  c.patient_unread_count, "
	"  (SELECT count(*) FROM messages m WHERE m.chat_id = c.id AND m.sender_id = c.therapist_id "
	"     AND NOT m.deleted AND m.read_status <> 'read'), "
	"  c.therapist_unread_emergency_count, "
	"  (SELECT count(*) FROM messages m WHERE m.chat_id = c.id AND m.sender_id = c.patient_id "
	"     AND NOT m.deleted AND m.read_status <> 'read' AND m.emergency), "
	"  c.patient_unread_emergency_count, "
	"  (SELECT count(*) FROM messages m WHERE m.chat_id = c.id AND m.sender_id = c.therapist_id "
	"     AND NOT m.deleted AND m.read_status <> 'read' AND m.emergency), "
	"  (c.last_message_text IS NOT DISTINCT FROM n.text "
	"   AND c.last_message_timestamp IS NOT DISTINCT FROM n.\"timestamp\" "
	"   AND c.last_message_sender_id IS NOT DISTINCT FROM n.sender_id)::text, "
	"  coalesce(c.last_message_text, '(null)'), coalesce(n.text, '(null)')) "
	"FROM chats c LEFT JOIN LATERAL (SELECT m.text, m.\"timestamp\", m.sender_id FROM messages m "
	"  WHERE m.chat_id = c.id AND NOT m.deleted ORDER BY m.\"timestamp\" DESC, m.id DESC LIMIT 1) n "
	"  ON true WHERE c.id = $1";

/* True when a row of invariant_query holds. */
static bool invariant_holds(const char *row)
{
	long counters[8];
	char preview[8] = "";
	if (sscanf(row, "%ld|%ld|%ld|%ld|%ld|%ld|%ld|%ld|%7[a-z]", &counters[0], &counters[1],
		   &counters[2], &counters[3], &counters[4], &counters[5], &counters[6], &counters[7],
		   preview) != 9)
		return false;
	for (int i = 0; i < 8; i += 2)
		if (counters[i] != counters[i + 1])
			return false;
	return strcmp(preview, "true") == 0;
}

static void *checker_main(void *argument)
{
	struct run *run = argument;
	PGconn *database = PQconnectdb(getenv("TCCHAT_DATABASE_URL"));
	if (PQstatus(database) != CONNECTION_OK) {
		pthread_mutex_lock(&run->lock);
		run->violations++;
		snprintf(run->first_violation, sizeof run->first_violation, "checker: %s",
			 PQerrorMessage(database));
		pthread_mutex_unlock(&run->lock);
		PQfinish(database);
		return NULL;
	}
	const char *parameters[] = {run->chat_id};
	while (anyone_running(run)) {
		PGresult *result = PQexecParams(database, invariant_query, 1, NULL, parameters, NULL,
						NULL, 0);
		bool ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
		const char *row = ok ? PQgetvalue(result, 0, 0) : PQresultErrorMessage(result);
		pthread_mutex_lock(&run->lock);
		run->checks++;
		if (!ok || !invariant_holds(row)) {
			if (run->violations++ == 0)
				snprintf(run->first_violation, sizeof run->first_violation, "%s", row);
		}
		pthread_mutex_unlock(&run->lock);
		PQclear(result);
		struct timespec pause = {0, 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	PQfinish(database);
	return NULL;
}

/* ================================================================ checks */

/* The chat's row and its messages agree: each unread counter equals the
 * COUNT(*) it stands for, and the preview is the newest non-deleted message
 * by (timestamp, id). Also as each participant sees it through the API. */
static void expect_chat_invariants(const struct e2e_pair *pair)
{
	const char *row = e2e_sql(invariant_query, pair->chat_id, NULL);
	cr_assert_not_null(row);
	cr_assert(invariant_holds(row),
		  "counter|its count (unread: therapist, patient; emergencies: therapist, patient)"
		  "|preview true|preview|newest: %s",
		  row);
	const char *patient_unread = e2e_sql(
		"SELECT count(*) FROM messages WHERE chat_id = $1 AND sender_id = $2 AND NOT deleted "
		"AND read_status <> 'read'", pair->chat_id, pair->patient, NULL);
	const char *therapist_unread = e2e_sql(
		"SELECT count(*) FROM messages WHERE chat_id = $1 AND sender_id = $2 AND NOT deleted "
		"AND read_status <> 'read'", pair->chat_id, pair->therapist, NULL);
	struct e2e_reply *as_therapist = e2e_request(
		"GET", e2e_printf("/api/chats/%s/", pair->chat_id), pair->therapist_token, NULL, NULL);
	expect_status(as_therapist, 200);
	cr_assert_eq(e2e_int(as_therapist->json, "unread_count"), atoll(patient_unread),
		     "the therapist's unread_count: %s, unread messages from the patient: %s",
		     as_therapist->body, patient_unread);
	struct e2e_reply *as_patient = e2e_request(
		"GET", e2e_printf("/api/chats/%s/", pair->chat_id), pair->patient_token, NULL, NULL);
	expect_status(as_patient, 200);
	cr_assert_eq(e2e_int(as_patient->json, "unread_count"), atoll(therapist_unread),
		     "the patient's unread_count: %s, unread messages from the therapist: %s",
		     as_patient->body, therapist_unread);
	const char *newest = e2e_sql(
		"SELECT concat_ws('|', text, to_char(\"timestamp\" AT TIME ZONE 'UTC', "
		"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), sender_id) FROM messages "
		"WHERE chat_id = $1 AND NOT deleted ORDER BY \"timestamp\" DESC, id DESC LIMIT 1",
		pair->chat_id, NULL);
	const char *text = e2e_str(as_patient->json, "last_message_text");
	const char *timestamp = e2e_str(as_patient->json, "last_message_timestamp");
	const char *sender = e2e_str(as_patient->json, "last_message_sender_id");
	const char *preview = text ? e2e_printf("%s|%s|%s", text, timestamp ? timestamp : "(null)",
						sender ? sender : "(null)")
				   : NULL;
	if (newest == NULL)
		cr_assert_null(preview, "no message is left but the preview is %s", preview);
	else
		cr_assert(preview != NULL && strcmp(preview, newest) == 0,
			  "the preview %s is not the newest non-deleted message %s",
			  preview ? preview : "(null)", newest);
}

/* ================================================================= tests */

Test(invariants, unread_counts_and_preview_hold_under_parallel_sends_reads_edits_and_deletes)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct run *run = calloc(1, sizeof *run);
	cr_assert_not_null(run);
	pthread_mutex_init(&run->lock, NULL);
	run->chat_id = pair.chat_id;
	run->token[SIDE_THERAPIST] = pair.therapist_token;
	run->token[SIDE_PATIENT] = pair.patient_token;
	run->senders_running = SIDE__MAX * SENDERS_PER_SIDE;
	run->readers_running = SIDE__MAX * 2;

	struct sender senders[SIDE__MAX * SENDERS_PER_SIDE];
	struct reader readers[SIDE__MAX * 2];
	pthread_t sender_threads[SIDE__MAX * SENDERS_PER_SIDE], reader_threads[SIDE__MAX * 2], checker;
	time_t started = time(NULL);
	cr_assert_eq(pthread_create(&checker, NULL, checker_main, run), 0);
	for (int side = 0; side < SIDE__MAX; side++) {
		for (int role = READER_MARKS; role <= READER_DELETES; role++) {
			struct reader *reader = &readers[side * 2 + role];
			*reader = (struct reader){run, side, (enum reader_role)role};
			cr_assert_eq(pthread_create(&reader_threads[side * 2 + role], NULL, reader_main,
						    reader), 0);
		}
		for (int k = 0; k < SENDERS_PER_SIDE; k++) {
			struct sender *sender = &senders[side * SENDERS_PER_SIDE + k];
			*sender = (struct sender){run, side, k};
			cr_assert_eq(pthread_create(&sender_threads[side * SENDERS_PER_SIDE + k], NULL,
						    sender_main, sender), 0);
		}
	}
	for (int i = 0; i < SIDE__MAX * SENDERS_PER_SIDE; i++)
		pthread_join(sender_threads[i], NULL);
	for (int i = 0; i < SIDE__MAX * 2; i++)
		pthread_join(reader_threads[i], NULL);
	pthread_join(checker, NULL);
	pthread_mutex_destroy(&run->lock);
	long seconds = (long)(time(NULL) - started);

	struct run result = *run;
	free(run);
	cr_log_info("invariants: %zu requests in %lds: %zu marked read, %zu mark_all_read, %zu "
		    "deleted by the recipient, %zu by the sender, %zu edited, %zu flagged emergency, "
		    "%zu lists, %zu snapshot checks",
		    result.requests, seconds, result.marked_read, result.marked_all, result.deleted,
		    result.self_deleted, result.edited, result.flagged, result.listed, result.checks);
	cr_assert_eq(result.failures, 0, "%zu of %zu requests failed; the first: %s", result.failures,
		     result.requests, result.first_failure);
	cr_assert_eq(result.sent_count[SIDE_THERAPIST] + result.sent_count[SIDE_PATIENT],
		     (size_t)(SIDE__MAX * MAX_MESSAGES));
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1", pair.chat_id,
				 NULL), e2e_printf("%d", SIDE__MAX * MAX_MESSAGES));
	cr_assert_gt(result.deleted, 0);
	cr_assert_gt(result.marked_read, 0);
	cr_assert_eq(result.violations, 0,
		     "%zu of %zu snapshots broke an invariant during the run; the first "
		     "(counter|its count, four times|preview true|preview|newest): %s",
		     result.violations, result.checks, result.first_violation);
	expect_chat_invariants(&pair);

	/* And after both mark all read, both counters are zero and still true. */
	expect_status(e2e_request("POST", e2e_printf("/api/chats/%s/mark_all_read/", pair.chat_id),
				  pair.therapist_token, NULL, NULL), 200);
	expect_status(e2e_request("POST", e2e_printf("/api/chats/%s/mark_all_read/", pair.chat_id),
				  pair.patient_token, NULL, NULL), 200);
	cr_assert_str_eq(e2e_sql("SELECT therapist_unread_count + patient_unread_count "
				 "+ therapist_unread_emergency_count + patient_unread_emergency_count "
				 "FROM chats WHERE id = $1", pair.chat_id, NULL), "0");
	expect_chat_invariants(&pair);
}

Test(invariants, twenty_emergencies_sent_at_once_pass_exactly_fifteen_times)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	struct e2e_reply *replies[20];
	e2e_request_concurrent(20, "POST", "/api/messages/send_message/", pair.patient_token,
			       e2e_printf("{\"chat_id\": \"%s\", \"text\": \"help\", "
					  "\"emergency\": true}", pair.chat_id), replies);
	int created = 0, limited = 0;
	for (int i = 0; i < 20; i++) {
		if (replies[i]->status == 201)
			created++;
		else
			expect_error(replies[i], 429, "rate_limited");
		limited += replies[i]->status == 429;
	}
	cr_assert_eq(created, 15, "%d of 20 concurrent emergencies passed; 15 may", created);
	cr_assert_eq(limited, 5);
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1", pair.chat_id,
				 NULL), "15");
	expect_chat_invariants(&pair);
}

/* One keyed send of the idempotency test, run in its own thread. */
struct keyed_send {
	const char *body;
	const char *token;
	const char *header;
	struct answer answer;
	bool sent;
	pthread_barrier_t *start;
};

static void *keyed_send_main(void *argument)
{
	struct keyed_send *send = argument;
	CURL *easy = curl_easy_init();
	pthread_barrier_wait(send->start);
	if (easy != NULL)
		send->sent = http_call(easy, "POST", "/api/messages/send_message/", send->token,
				       send->body, send->header, &send->answer);
	curl_easy_cleanup(easy);
	return NULL;
}

Test(invariants, the_same_idempotency_key_sent_at_once_creates_one_message)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	enum { CLIENTS = 10 };
	struct keyed_send sends[CLIENTS];
	pthread_t threads[CLIENTS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, CLIENTS);
	const char *body = e2e_printf("{\"chat_id\": \"%s\", \"text\": \"exactly once\"}", pair.chat_id);
	for (int i = 0; i < CLIENTS; i++) {
		sends[i] = (struct keyed_send){body, pair.patient_token, "Idempotency-Key: at-once",
					       {0, NULL, 0}, false, &start};
		cr_assert_eq(pthread_create(&threads[i], NULL, keyed_send_main, &sends[i]), 0);
	}
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&start);

	int created = 0, replayed = 0;
	char ids[CLIENTS][80];
	char failure[1024] = "";
	for (int i = 0; i < CLIENTS; i++) {
		ids[i][0] = '\0';
		long status = sends[i].answer.status;
		if (sends[i].sent && (status == 200 || status == 201) &&
		    answer_string(&sends[i].answer, "id", ids[i], sizeof ids[i])) {
			created += status == 201;
			replayed += status == 200;
		} else if (failure[0] == '\0') {
			snprintf(failure, sizeof failure, "HTTP %ld %s", status,
				 sends[i].answer.body ? sends[i].answer.body : "(transfer failed)");
		}
		free(sends[i].answer.body);
	}
	cr_assert_str_eq(failure, "", "a concurrent replay did not answer 200 or 201: %s", failure);
	cr_assert_eq(created, 1, "%d of %d concurrent sends with one key answered 201", created,
		     CLIENTS);
	cr_assert_eq(replayed, CLIENTS - 1);
	for (int i = 1; i < CLIENTS; i++)
		cr_assert_str_eq(ids[i], ids[0], "a replay answered another message");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM messages WHERE chat_id = $1", pair.chat_id,
				 NULL), "1");
	cr_assert_str_eq(e2e_sql("SELECT count(*) FROM idempotency_keys WHERE sender_id = $1",
				 pair.patient, NULL), "1");
	expect_chat_invariants(&pair);
}

Test(invariants, mark_all_read_at_once_marks_each_message_once)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	enum { MESSAGES = 20, CLIENTS = 8 };
	for (int i = 0; i < MESSAGES; i++)
		expect_status(e2e_request("POST", "/api/messages/send_message/", pair.patient_token,
					  e2e_printf("{\"chat_id\": \"%s\", \"text\": \"m%d\"}",
						     pair.chat_id, i), NULL), 201);
	struct e2e_reply *replies[CLIENTS];
	e2e_request_concurrent(CLIENTS, "POST", e2e_printf("/api/chats/%s/mark_all_read/", pair.chat_id),
			       pair.therapist_token, NULL, replies);
	long long marked = 0;
	for (int i = 0; i < CLIENTS; i++) {
		expect_status(replies[i], 200);
		marked += e2e_int(replies[i]->json, "marked");
		cr_assert_eq(e2e_int(replies[i]->json, "unread_count"), 0);
	}
	cr_assert_eq(marked, MESSAGES, "concurrent mark_all_read marked %lld of %d messages", marked,
		     MESSAGES);
	expect_chat_invariants(&pair);
}

Test(invariants, delete_message_at_once_lowers_the_unread_count_once)
{
	struct e2e_pair pair = e2e_pair_with_chat();
	const char *ids[2];
	for (int i = 0; i < 2; i++) {
		struct e2e_reply *sent = e2e_request(
			"POST", "/api/messages/send_message/", pair.patient_token,
			e2e_printf("{\"chat_id\": \"%s\", \"text\": \"m%d\"}", pair.chat_id, i), NULL);
		expect_status(sent, 201);
		ids[i] = e2e_str(sent->json, "id");
	}
	enum { CLIENTS = 8 };
	struct e2e_reply *replies[CLIENTS];
	e2e_request_concurrent(CLIENTS, "POST", e2e_printf("/api/messages/%s/delete_message/", ids[1]),
			       pair.patient_token, NULL, replies);
	for (int i = 0; i < CLIENTS; i++) {
		expect_status(replies[i], 200);
		cr_assert_str_eq(e2e_str(replies[i]->json, "deleted_at"),
				 e2e_str(replies[0]->json, "deleted_at"));
	}
	cr_assert_str_eq(e2e_sql("SELECT therapist_unread_count FROM chats WHERE id = $1",
				 pair.chat_id, NULL), "1");
	expect_chat_invariants(&pair);
}
