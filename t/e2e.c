/*
 * End-to-end test harness (see e2e.h): report hooks that start and stop the
 * stack around the whole run, and the per-test helpers — HTTP client, tokens,
 * directory users, JSON accessors, SQL, assertions.
 *
 * Criterion runs the report hooks in the runner process and each test in a
 * child process that inherits the runner's environment, so PRE_ALL exports
 * what the tests need (TCCHAT_URL, TCCHAT_DATABASE_URL, TCCHAT_E2E_DIR) and
 * POST_ALL, which the runner reaches however the children end, stops the
 * stack. A signal that kills the runner stops the stack too.
 */
#include "e2e.h"

#include <criterion/hooks.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jwt.h>
#include <libpq-fe.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ========================================================= stack lifecycle */

static char stack_dir[PATH_MAX];
static char stack_script[PATH_MAX + 32];
static pid_t runner_pid;

/* Runs argv with stdout and stderr appended to `log_path` (when not NULL) and
 * returns its exit status (-1 when it could not run, 128+n on signal n).
 * Only async-signal-safe calls in the parent, so signal handlers may use it. */
static int run_command(char *const argv[], const char *log_path)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (log_path != NULL) {
			int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (fd >= 0) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
				close(fd);
			}
		}
		int null_fd = open("/dev/null", O_RDONLY);
		if (null_fd >= 0) {
			dup2(null_fd, STDIN_FILENO);
			close(null_fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Stops the stack and removes its directory; with `stats` (not from a
 * signal handler), checks the workers' log in between. */
static void stack_stop(struct criterion_global_stats *stats)
{
	if (stack_dir[0] == '\0')
		return;
	char *stop_argv[] = {"timeout", "--kill-after=10", "90", stack_script, "stop", stack_dir, NULL};
	int rc = run_command(stop_argv, NULL);
	if (rc != 0) {
		static const char message[] = "e2e: contrib/stack stop failed; see the output above\n";
		ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
		(void)ignored;
	}
	if (stats != NULL)
		e2e_logs_check(stack_dir, stats);
	const char *keep = getenv("TCCHAT_E2E_KEEP");
	if (keep != NULL && keep[0] != '\0' && strcmp(keep, "0") != 0) {
		fprintf(stderr, "e2e: TCCHAT_E2E_KEEP is set; kept %s\n", stack_dir);
	} else {
		char *rm_argv[] = {"rm", "-rf", "--", stack_dir, NULL};
		run_command(rm_argv, NULL);
	}
	stack_dir[0] = '\0';
}

static void on_fatal_signal(int signal_number)
{
	if (getpid() == runner_pid)
		stack_stop(NULL);
	signal(signal_number, SIG_DFL);
	raise(signal_number);
}

static void print_file(const char *path)
{
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return;
	char line[1024];
	while (fgets(line, sizeof line, file) != NULL)
		fprintf(stderr, "  | %s", line);
	fclose(file);
}

/* Exports every KEY=VALUE line of stack.env; false when a needed key is missing. */
static bool export_stack_env(const char *path, char *error, size_t error_size)
{
	FILE *file = fopen(path, "r");
	if (file == NULL) {
		snprintf(error, error_size, "%s is missing after contrib/stack start", path);
		return false;
	}
	char line[4096];
	while (fgets(line, sizeof line, file) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		char *start = line;
		while (*start == ' ' || *start == '\t')
			start++;
		if (strncmp(start, "export ", 7) == 0)
			start += 7;
		if (*start == '#' || *start == '\0')
			continue;
		char *equals = strchr(start, '=');
		if (equals == NULL)
			continue;
		*equals = '\0';
		char *value = equals + 1;
		size_t length = strlen(value);
		if (length >= 2 && (value[0] == '"' || value[0] == '\'') && value[length - 1] == value[0]) {
			value[length - 1] = '\0';
			value++;
		}
		setenv(start, value, 1);
	}
	fclose(file);
	const char *needed[] = {"TCCHAT_URL", "TCCHAT_DATABASE_URL"};
	for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
		const char *value = getenv(needed[i]);
		if (value == NULL || value[0] == '\0') {
			snprintf(error, error_size, "%s does not set %s", path, needed[i]);
			return false;
		}
	}
	return true;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	char error[3 * PATH_MAX] = "";
	runner_pid = getpid();
	unsetenv("TCCHAT_URL");
	unsetenv("TCCHAT_DATABASE_URL");

	const char *srcdir = getenv("TCCHAT_SRCDIR");
	if (srcdir == NULL || srcdir[0] == '\0')
		srcdir = ".";
	char srcdir_absolute[PATH_MAX];
	if (realpath(srcdir, srcdir_absolute) == NULL) {
		snprintf(error, sizeof error, "TCCHAT_SRCDIR %s: %s", srcdir, strerror(errno));
		goto failed;
	}
	snprintf(stack_script, sizeof stack_script, "%s/contrib/stack", srcdir_absolute);

	char template[] = "/tmp/tcchat-e2e-XXXXXX";
	if (mkdtemp(template) == NULL) {
		snprintf(error, sizeof error, "mkdtemp: %s", strerror(errno));
		goto failed;
	}
	/* PostgreSQL runs as another user when the tests run as root. */
	chmod(template, 0755);
	snprintf(stack_dir, sizeof stack_dir, "%s", template);

	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_handler = on_fatal_signal;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGHUP, &action, NULL);

	char seed[PATH_MAX + 32];
	snprintf(seed, sizeof seed, "%s/t/e2e_directory.sql", srcdir_absolute);
	setenv("TCCHAT_JWT_SECRET", E2E_JWT_SECRET, 1);
	setenv("TCCHAT_WORKERS", "4", 1);
	setenv("TCCHAT_SEED_SQL", seed, 1);
	setenv("TCCHAT_E2E_DIR", stack_dir, 1);
	if (getenv("TCCHAT_BUILDDIR") == NULL)
		setenv("TCCHAT_BUILDDIR", srcdir_absolute, 1);
	if (getenv("TCCHAT_SRCDIR") == NULL)
		setenv("TCCHAT_SRCDIR", srcdir_absolute, 1);

	char start_log[PATH_MAX + 32];
	snprintf(start_log, sizeof start_log, "%s/stack-start.log", stack_dir);
	char *start_argv[] = {"timeout", "--kill-after=10", "180", stack_script, "start", stack_dir, NULL};
	int rc = run_command(start_argv, start_log);
	if (rc != 0) {
		fprintf(stderr, "e2e: %s start %s failed (exit %d); its output:\n", stack_script, stack_dir, rc);
		print_file(start_log);
		snprintf(error, sizeof error,
			 "the stack did not start: %s start %s exited with %d%s (its output is printed above)",
			 stack_script, stack_dir, rc, rc == 124 ? " (timed out)" : "");
		goto failed;
	}
	char env_path[PATH_MAX + 32];
	snprintf(env_path, sizeof env_path, "%s/stack.env", stack_dir);
	if (!export_stack_env(env_path, error, sizeof error))
		goto failed;
	return;

failed:
	fprintf(stderr, "e2e: %s\n", error);
	setenv("TCCHAT_E2E_START_ERROR", error, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	if (getpid() != runner_pid)
		return;
	stack_stop(stats);
}

/* ============================================================ per-test pool */

struct pool_entry {
	void *pointer;
	void (*release)(void *);
};

static struct pool_entry *pool;
static size_t pool_count, pool_capacity;
static CURL *single_easy;
static PGconn *database;

static void *pool_add(void *pointer, void (*release)(void *))
{
	cr_assert_not_null(pointer, "out of memory");
	if (pool_count == pool_capacity) {
		pool_capacity = pool_capacity ? pool_capacity * 2 : 64;
		pool = realloc(pool, pool_capacity * sizeof *pool);
		cr_assert_not_null(pool, "out of memory");
	}
	pool[pool_count].pointer = pointer;
	pool[pool_count].release = release;
	pool_count++;
	return pointer;
}

static char *pool_strdup(const char *text)
{
	return pool_add(strdup(text), free);
}

static void reply_release(void *pointer)
{
	struct e2e_reply *reply = pointer;
	free(reply->body);
	free(reply->headers);
	json_object_put(reply->json);
	free(reply);
}

void e2e_reply_free(struct e2e_reply *reply)
{
	if (reply == NULL)
		return;
	for (size_t i = pool_count; i-- > 0;) {
		if (pool[i].pointer == reply) {
			pool[i] = pool[--pool_count];
			break;
		}
	}
	reply_release(reply);
}

void e2e_setup(void)
{
	const char *start_error = getenv("TCCHAT_E2E_START_ERROR");
	if (start_error != NULL)
		cr_assert_fail("%s", start_error);
	cr_assert_not_null(getenv("TCCHAT_URL"), "TCCHAT_URL is not set: the stack was not started");
	cr_assert_eq(curl_global_init(CURL_GLOBAL_ALL), CURLE_OK, "curl_global_init failed");
}

void e2e_teardown(void)
{
	for (size_t i = pool_count; i-- > 0;)
		pool[i].release(pool[i].pointer);
	free(pool);
	pool = NULL;
	pool_count = pool_capacity = 0;
	if (single_easy != NULL) {
		curl_easy_cleanup(single_easy);
		single_easy = NULL;
	}
	if (database != NULL) {
		PQfinish(database);
		database = NULL;
	}
	curl_global_cleanup();
}

const char *e2e_printf(const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	char *text = NULL;
	int length = vasprintf(&text, format, arguments);
	va_end(arguments);
	cr_assert_geq(length, 0, "out of memory");
	return pool_add(text, free);
}

const char *e2e_repeat(const char *unit, size_t count)
{
	size_t unit_length = strlen(unit);
	char *text = malloc(unit_length * count + 1);
	cr_assert_not_null(text);
	for (size_t i = 0; i < count; i++)
		memcpy(text + i * unit_length, unit, unit_length);
	text[unit_length * count] = '\0';
	return pool_add(text, free);
}

/* ==================================================================== HTTP */

struct growing {
	char *data;
	size_t length;
};

static void growing_append(struct growing *buffer, const char *data, size_t length)
{
	char *grown = realloc(buffer->data, buffer->length + length + 1);
	if (grown == NULL)
		abort();
	buffer->data = grown;
	memcpy(buffer->data + buffer->length, data, length);
	buffer->length += length;
	buffer->data[buffer->length] = '\0';
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
	growing_append(user, data, size * count);
	return size * count;
}

static size_t on_header(char *data, size_t size, size_t count, void *user)
{
	struct growing *headers = user;
	/* A new status line (after 100 Continue) starts a new header block. */
	if (size * count >= 5 && strncmp(data, "HTTP/", 5) == 0)
		headers->length = 0;
	growing_append(headers, data, size * count);
	return size * count;
}

struct transfer {
	CURL *easy;
	struct curl_slist *header_list;
	struct growing body;
	struct growing headers;
	char *url;
	char error[CURL_ERROR_SIZE];
	char *label;
};

static const char *stack_url(void)
{
	const char *url = getenv("TCCHAT_URL");
	cr_assert_not_null(url, "TCCHAT_URL is not set");
	return url;
}

static char *url_for(const char *path)
{
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
		const char *after_scheme = strstr(path, "://") + 3;
		path = strchr(after_scheme, '/');
		if (path == NULL)
			path = "/";
	}
	const char *base = stack_url();
	size_t base_length = strlen(base);
	while (base_length > 0 && base[base_length - 1] == '/')
		base_length--;
	char *url = NULL;
	if (asprintf(&url, "%.*s%s", (int)base_length, base, path) < 0)
		abort();
	return url;
}

static bool header_is(const char *line, const char *name)
{
	size_t length = strlen(name);
	return strncasecmp(line, name, length) == 0 && line[length] == ':';
}

static void transfer_prepare(struct transfer *transfer, CURL *easy, const char *method,
			     const char *path, const char *token, const char *body,
			     size_t length, const char *const *headers, size_t header_count)
{
	memset(transfer, 0, sizeof *transfer);
	transfer->easy = easy;
	transfer->url = url_for(path);
	if (asprintf(&transfer->label, "%s %s", method, path) < 0)
		abort();
	curl_easy_setopt(easy, CURLOPT_URL, transfer->url);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer->body);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer->headers);
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");

	bool takes_body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
			  strcmp(method, "PATCH") == 0;
	bool has_content_type = false;
	struct curl_slist *list = NULL;
	for (size_t i = 0; i < header_count; i++) {
		if (headers[i] == NULL)
			continue;
		if (header_is(headers[i], "Content-Type"))
			has_content_type = true;
		list = curl_slist_append(list, headers[i]);
	}
	if (token != NULL) {
		char *authorization = NULL;
		if (asprintf(&authorization, "Authorization: Bearer %s", token) < 0)
			abort();
		list = curl_slist_append(list, authorization);
		free(authorization);
	}
	if (body != NULL && !has_content_type)
		list = curl_slist_append(list, "Content-Type: application/json");
	if (body == NULL && !has_content_type)
		list = curl_slist_append(list, "Content-Type:");   /* no curl default */
	list = curl_slist_append(list, "Expect:");
	transfer->header_list = list;
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);

	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
	}
	e2e_watch_texts(path, body, length);
	if (body != NULL || takes_body) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? length : 0));
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body ? body : "");
	}
}

static const char *const leak_markers[] = {"SELECT", "ERROR:", "/tmp/", E2E_JWT_SECRET};

static struct e2e_reply *transfer_finish(struct transfer *transfer, CURLcode code)
{
	struct e2e_reply *reply = NULL;
	cr_assert_eq(code, CURLE_OK, "%s: %s (%s)", transfer->label, curl_easy_strerror(code),
		     transfer->error);
	reply = calloc(1, sizeof *reply);
	cr_assert_not_null(reply);
	curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &reply->status);
	reply->body = transfer->body.data ? transfer->body.data : strdup("");
	reply->body_length = transfer->body.length;
	reply->headers = transfer->headers.data ? transfer->headers.data : strdup("");
	transfer->body.data = transfer->headers.data = NULL;
	if (reply->body_length > 0 && strlen(reply->body) == reply->body_length) {
		struct json_tokener *tokener = json_tokener_new();
		reply->json = json_tokener_parse_ex(tokener, reply->body, (int)reply->body_length);
		if (json_tokener_get_error(tokener) != json_tokener_success ||
		    json_tokener_get_parse_end(tokener) < reply->body_length) {
			json_object_put(reply->json);
			reply->json = NULL;
		}
		json_tokener_free(tokener);
	}
	/* API.md 5: no response ever contains SQL text, a file path or a secret. */
	for (size_t i = 0; i < sizeof leak_markers / sizeof leak_markers[0]; i++)
		cr_expect_null(memmem(reply->body, reply->body_length, leak_markers[i],
				      strlen(leak_markers[i])),
			       "%s: the response body contains \"%s\": %s", transfer->label,
			       i == 3 ? "the JWT secret" : leak_markers[i], reply->body);
	return reply;
}

static void transfer_clean(struct transfer *transfer)
{
	curl_slist_free_all(transfer->header_list);
	free(transfer->body.data);
	free(transfer->headers.data);
	free(transfer->url);
	free(transfer->label);
}

struct e2e_reply *e2e_request_raw(const char *method, const char *path, const char *token,
				  const char *body, size_t length,
				  const char *const *headers, size_t header_count)
{
	if (single_easy == NULL)
		single_easy = curl_easy_init();
	else
		curl_easy_reset(single_easy);
	cr_assert_not_null(single_easy, "curl_easy_init failed");
	struct transfer transfer;
	transfer_prepare(&transfer, single_easy, method, path, token, body, length, headers,
			 header_count);
	CURLcode code = curl_easy_perform(single_easy);
	struct e2e_reply *reply = NULL;
	if (code == CURLE_OK)
		reply = transfer_finish(&transfer, code);
	char label[512];
	snprintf(label, sizeof label, "%s: %s (%s)", transfer.label, curl_easy_strerror(code),
		 transfer.error);
	transfer_clean(&transfer);
	cr_assert_not_null(reply, "%s", label);
	return pool_add(reply, reply_release);
}

struct e2e_reply *e2e_request(const char *method, const char *path, const char *token,
			      const char *body, const char *extra_header)
{
	const char *headers[] = {extra_header};
	return e2e_request_raw(method, path, token, body, body ? strlen(body) : 0, headers,
			       extra_header ? 1 : 0);
}

void e2e_request_concurrent(size_t count, const char *method, const char *path,
			    const char *token, const char *body, struct e2e_reply **replies)
{
	CURLM *multi = curl_multi_init();
	cr_assert_not_null(multi);
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	struct transfer *transfers = calloc(count, sizeof *transfers);
	CURLcode *codes = calloc(count, sizeof *codes);
	cr_assert(transfers != NULL && codes != NULL);
	for (size_t i = 0; i < count; i++) {
		CURL *easy = curl_easy_init();
		cr_assert_not_null(easy);
		transfer_prepare(&transfers[i], easy, method, path, token, body,
				 body ? strlen(body) : 0, NULL, 0);
		/* One connection each, all opened before any request is answered. */
		curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)&transfers[i]);
		curl_multi_add_handle(multi, easy);
	}
	int running = 1;
	while (running > 0) {
		CURLMcode status = curl_multi_perform(multi, &running);
		cr_assert_eq(status, CURLM_OK, "curl_multi_perform: %s", curl_multi_strerror(status));
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	CURLMsg *message;
	int left;
	while ((message = curl_multi_info_read(multi, &left)) != NULL) {
		if (message->msg != CURLMSG_DONE)
			continue;
		for (size_t i = 0; i < count; i++) {
			if (transfers[i].easy == message->easy_handle)
				codes[i] = message->data.result;
		}
	}
	for (size_t i = 0; i < count; i++) {
		replies[i] = codes[i] == CURLE_OK ? transfer_finish(&transfers[i], codes[i]) : NULL;
		if (replies[i] != NULL)
			pool_add(replies[i], reply_release);
	}
	char failure[512] = "";
	for (size_t i = 0; i < count; i++) {
		if (codes[i] != CURLE_OK && failure[0] == '\0')
			snprintf(failure, sizeof failure, "concurrent request %zu: %s (%s)", i,
				 curl_easy_strerror(codes[i]), transfers[i].error);
		curl_multi_remove_handle(multi, transfers[i].easy);
		curl_easy_cleanup(transfers[i].easy);
		transfer_clean(&transfers[i]);
	}
	free(transfers);
	free(codes);
	curl_multi_cleanup(multi);
	cr_assert(failure[0] == '\0', "%s", failure);
}

const char *e2e_header(const struct e2e_reply *reply, const char *name)
{
	size_t name_length = strlen(name);
	const char *line = reply->headers;
	while (line != NULL && *line != '\0') {
		const char *end = strstr(line, "\r\n");
		size_t line_length = end ? (size_t)(end - line) : strlen(line);
		if (line_length > name_length && strncasecmp(line, name, name_length) == 0 &&
		    line[name_length] == ':') {
			const char *value = line + name_length + 1;
			while (*value == ' ' || *value == '\t')
				value++;
			size_t value_length = line_length - (size_t)(value - line);
			while (value_length > 0 && (value[value_length - 1] == ' ' ||
						    value[value_length - 1] == '\t'))
				value_length--;
			return e2e_printf("%.*s", (int)value_length, value);
		}
		line = end ? end + 2 : NULL;
	}
	return NULL;
}

const char *e2e_link_next(const struct e2e_reply *reply)
{
	const char *link = e2e_header(reply, "Link");
	if (link == NULL)
		return NULL;
	/* Link: <url>; rel="next"[, <url>; rel="…"] */
	const char *cursor = link;
	while ((cursor = strchr(cursor, '<')) != NULL) {
		const char *close = strchr(cursor, '>');
		if (close == NULL)
			return NULL;
		const char *next_entry = strchr(close, ',');
		const char *rel = strstr(close, "rel=\"next\"");
		if (rel == NULL)
			rel = strstr(close, "rel=next");
		if (rel != NULL && (next_entry == NULL || rel < next_entry))
			return e2e_printf("%.*s", (int)(close - cursor - 1), cursor + 1);
		cursor = close;
	}
	return NULL;
}

/* ================================================================== tokens */

struct e2e_claims e2e_claims_default(const char *user_id)
{
	struct e2e_claims claims = {
		.user_id = user_id,
		.token_type = "access",
		.exp = 600,
		.nbf = E2E_OMIT,
		.iat = 0,
	};
	return claims;
}

const char *e2e_token_claims(const struct e2e_claims *claims)
{
	jwt_t *jwt = NULL;
	cr_assert_eq(jwt_new(&jwt), 0, "jwt_new failed");
	time_t now = time(NULL);
	if (claims->user_id != NULL)
		jwt_add_grant(jwt, "user_id", claims->user_id);
	if (claims->sub != NULL)
		jwt_add_grant(jwt, "sub", claims->sub);
	if (claims->role != NULL)
		jwt_add_grant(jwt, "role", claims->role);
	if (claims->token_type != NULL)
		jwt_add_grant(jwt, "token_type", claims->token_type);
	if (claims->exp != E2E_OMIT)
		jwt_add_grant_int(jwt, "exp", (long)now + claims->exp);
	if (claims->nbf != E2E_OMIT)
		jwt_add_grant_int(jwt, "nbf", (long)now + claims->nbf);
	if (claims->iat != E2E_OMIT)
		jwt_add_grant_int(jwt, "iat", (long)now + claims->iat);
	const char *algorithm = claims->algorithm ? claims->algorithm : "HS256";
	const char *secret = claims->secret ? claims->secret : E2E_JWT_SECRET;
	int rc;
	if (strcmp(algorithm, "none") == 0)
		rc = jwt_set_alg(jwt, JWT_ALG_NONE, NULL, 0);
	else
		rc = jwt_set_alg(jwt, jwt_str_alg(algorithm), (const unsigned char *)secret,
				 (int)strlen(secret));
	cr_assert_eq(rc, 0, "jwt_set_alg %s failed", algorithm);
	char *token = jwt_encode_str(jwt);
	jwt_free(jwt);
	cr_assert_not_null(token, "jwt_encode_str failed");
	return pool_add(token, free);
}

const char *e2e_token(const char *user_id)
{
	struct e2e_claims claims = e2e_claims_default(user_id);
	return e2e_token_claims(&claims);
}

const char *e2e_token_role(const char *user_id, const char *role)
{
	struct e2e_claims claims = e2e_claims_default(user_id);
	claims.role = role;
	return e2e_token_claims(&claims);
}

/* =============================================================== directory */

/* The next number of the run's shared counter: no two tests, even in
 * parallel processes, get the same one. */
static long counter_next(void)
{
	const char *dir = getenv("TCCHAT_E2E_DIR");
	cr_assert_not_null(dir, "TCCHAT_E2E_DIR is not set");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/e2e-counter", dir);
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(flock(fd, LOCK_EX), 0, "flock %s", path);
	char text[32] = "";
	ssize_t length = pread(fd, text, sizeof text - 1, 0);
	long value = length > 0 ? strtol(text, NULL, 10) : 0;
	value++;
	int written = snprintf(text, sizeof text, "%ld\n", value);
	cr_assert_eq(pwrite(fd, text, (size_t)written, 0), written);
	flock(fd, LOCK_UN);
	close(fd);
	/* t/e2e_directory.sql holds users 1..3000. */
	cr_assert_leq(value, 3000, "the e2e directory ran out of spare users");
	return value;
}

const char *e2e_new_therapist(void)
{
	return e2e_printf("t_%06ld", counter_next());
}

const char *e2e_new_patient(void)
{
	return e2e_printf("p_%06ld", counter_next());
}

const char *e2e_absent_therapist(void)
{
	return e2e_printf("t_9%05ld", counter_next());
}

const char *e2e_absent_patient(void)
{
	return e2e_printf("p_9%05ld", counter_next());
}

const char *e2e_admin_token(void)
{
	return e2e_token_role(e2e_printf("admin-e2e-%ld", counter_next()), "admin");
}

static long user_number(const char *user_id)
{
	cr_assert(strlen(user_id) == 8 && (user_id[0] == 't' || user_id[0] == 'p'),
		  "not an e2e directory user: %s", user_id);
	return strtol(user_id + 2, NULL, 10);
}

const char *e2e_first_name(const char *user_id)
{
	return e2e_printf("%s%ld", user_id[0] == 't' ? "Tina" : "Paul", user_number(user_id));
}

const char *e2e_last_name(const char *user_id)
{
	return e2e_printf("%s%ld", user_id[0] == 't' ? "Tester" : "Patient", user_number(user_id));
}

const char *e2e_full_name(const char *user_id)
{
	return e2e_printf("%s %s", e2e_first_name(user_id), e2e_last_name(user_id));
}

const char *e2e_pair_body(const char *therapist, const char *patient)
{
	return e2e_printf("{\"therapist_id\": \"%s\", \"patient_id\": \"%s\"}", therapist, patient);
}

struct e2e_pair e2e_pair_new(void)
{
	struct e2e_pair pair;
	pair.therapist = e2e_new_therapist();
	pair.patient = e2e_new_patient();
	pair.therapist_token = e2e_token(pair.therapist);
	pair.patient_token = e2e_token(pair.patient);
	pair.chat_id = e2e_printf("CHAT_%s_%s", pair.therapist, pair.patient);
	pair.room_id = e2e_printf("ROOM_%s_%s", pair.therapist, pair.patient);
	return pair;
}

struct e2e_pair e2e_pair_with_chat(void)
{
	struct e2e_pair pair = e2e_pair_new();
	struct e2e_reply *reply = e2e_request("POST", "/api/chats/create_or_get_chat/",
					      pair.therapist_token,
					      e2e_pair_body(pair.therapist, pair.patient), NULL);
	cr_assert_eq(reply->status, 201, "creating the chat %s: HTTP %ld %s", pair.chat_id,
		     reply->status, reply->body);
	e2e_reply_free(reply);
	return pair;
}

/* ==================================================================== JSON */

struct json_object *e2e_get(struct json_object *object, const char *key)
{
	struct json_object *value = NULL;
	if (object == NULL || !json_object_is_type(object, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(object, key, &value))
		return NULL;
	return value;
}

bool e2e_has(struct json_object *object, const char *key)
{
	return object != NULL && json_object_is_type(object, json_type_object) &&
	       json_object_object_get_ex(object, key, NULL);
}

bool e2e_is_null(struct json_object *object, const char *key)
{
	return e2e_has(object, key) && e2e_get(object, key) == NULL;
}

bool e2e_is_type(struct json_object *object, const char *key, enum json_type type)
{
	if (!e2e_has(object, key))
		return false;
	return json_object_is_type(e2e_get(object, key), type);
}

const char *e2e_str(struct json_object *object, const char *key)
{
	struct json_object *value = e2e_get(object, key);
	if (value == NULL || !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

long long e2e_int(struct json_object *object, const char *key)
{
	struct json_object *value = e2e_get(object, key);
	cr_assert(value != NULL && json_object_is_type(value, json_type_int),
		  "\"%s\" is not an integer in %s", key, json_object_to_json_string(object));
	return (long long)json_object_get_int64(value);
}

bool e2e_bool(struct json_object *object, const char *key)
{
	struct json_object *value = e2e_get(object, key);
	cr_assert(value != NULL && json_object_is_type(value, json_type_boolean),
		  "\"%s\" is not a boolean in %s", key, json_object_to_json_string(object));
	return json_object_get_boolean(value);
}

size_t e2e_len(struct json_object *array)
{
	cr_assert(array != NULL && json_object_is_type(array, json_type_array),
		  "not a JSON array: %s", array ? json_object_to_json_string(array) : "(none)");
	return json_object_array_length(array);
}

struct json_object *e2e_at(struct json_object *array, size_t index)
{
	cr_assert_lt(index, e2e_len(array));
	return json_object_array_get_idx(array, index);
}

struct json_object *e2e_find_id(struct json_object *array, const char *id)
{
	size_t length = e2e_len(array);
	for (size_t i = 0; i < length; i++) {
		struct json_object *item = json_object_array_get_idx(array, i);
		const char *item_id = e2e_str(item, "id");
		if (item_id != NULL && strcmp(item_id, id) == 0)
			return item;
	}
	return NULL;
}

bool e2e_keys_match(struct json_object *object, const char *const *required,
		    const char *const *optional)
{
	if (object == NULL || !json_object_is_type(object, json_type_object))
		return false;
	for (size_t i = 0; required[i] != NULL; i++) {
		if (!json_object_object_get_ex(object, required[i], NULL))
			return false;
	}
	json_object_object_foreach(object, key, value) {
		(void)value;
		bool known = false;
		for (size_t i = 0; !known && required[i] != NULL; i++)
			known = strcmp(key, required[i]) == 0;
		for (size_t i = 0; !known && optional != NULL && optional[i] != NULL; i++)
			known = strcmp(key, optional[i]) == 0;
		if (!known)
			return false;
	}
	return true;
}

bool e2e_keys_are(struct json_object *object, const char *const *keys)
{
	return e2e_keys_match(object, keys, NULL);
}

bool e2e_is_timestamp(const char *text)
{
	/* 2026-11-26T04:12:56.123456Z */
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	if (text == NULL || strlen(text) != sizeof pattern - 1)
		return false;
	for (size_t i = 0; i < sizeof pattern - 1; i++) {
		if (pattern[i] == 'd') {
			if (text[i] < '0' || text[i] > '9')
				return false;
		} else if (text[i] != pattern[i]) {
			return false;
		}
	}
	return true;
}

/* ===================================================================== SQL */

/* Runs `query` on `connection` with the NULL-terminated text parameters in
 * `arguments` (at most 16); the first column of the first row
 * (harness-owned) or NULL. Fails on error. */
static const char *sql_run(PGconn *connection, const char *query, va_list arguments)
{
	const char *parameters[16];
	int count = 0;
	const char *parameter;
	while ((parameter = va_arg(arguments, const char *)) != NULL && count < 16)
		parameters[count++] = parameter;
	PGresult *result = PQexecParams(connection, query, count, NULL, parameters, NULL, NULL, 0);
	ExecStatusType status = PQresultStatus(result);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		char message[1024];
		snprintf(message, sizeof message, "%s: %s", query, PQresultErrorMessage(result));
		PQclear(result);
		cr_assert_fail("%s", message);
	}
	const char *value = NULL;
	if (status == PGRES_TUPLES_OK && PQntuples(result) > 0 && PQnfields(result) > 0 &&
	    !PQgetisnull(result, 0, 0))
		value = pool_strdup(PQgetvalue(result, 0, 0));
	PQclear(result);
	return value;
}

static PGconn *sql_connect(void)
{
	const char *url = getenv("TCCHAT_DATABASE_URL");
	cr_assert_not_null(url, "TCCHAT_DATABASE_URL is not set");
	PGconn *connection = PQconnectdb(url);
	cr_assert_eq(PQstatus(connection), CONNECTION_OK, "connecting to TCCHAT_DATABASE_URL: %s",
		     PQerrorMessage(connection));
	return connection;
}

const char *e2e_sql(const char *query, ...)
{
	if (database == NULL)
		database = sql_connect();
	va_list arguments;
	va_start(arguments, query);
	const char *value = sql_run(database, query, arguments);
	va_end(arguments);
	return value;
}

struct e2e_tx {
	PGconn *connection;
};

struct e2e_tx *e2e_tx_begin(void)
{
	struct e2e_tx *tx = pool_add(calloc(1, sizeof *tx), free);
	tx->connection = sql_connect();
	e2e_tx_sql(tx, "BEGIN", NULL);
	return tx;
}

void e2e_tx_end(struct e2e_tx *tx, bool commit)
{
	e2e_tx_sql(tx, commit ? "COMMIT" : "ROLLBACK", NULL);
	PQfinish(tx->connection);
	tx->connection = NULL;
}

const char *e2e_tx_sql(struct e2e_tx *tx, const char *query, ...)
{
	va_list arguments;
	va_start(arguments, query);
	const char *value = sql_run(tx->connection, query, arguments);
	va_end(arguments);
	return value;
}

void e2e_tx_lock_chat(struct e2e_tx *tx, const char *chat_id)
{
	cr_assert_not_null(e2e_tx_sql(tx, "SELECT id FROM chats WHERE id = $1 FOR NO KEY UPDATE", chat_id, NULL),
			   "no chat %s to lock", chat_id);
}

void e2e_tx_wait_until_blocking(struct e2e_tx *tx, int waited_ms)
{
	const char *pid = e2e_printf("%d", PQbackendPID(tx->connection));
	const char *waited = e2e_printf("%d", waited_ms);
	for (int i = 0; i < 1000; i++, usleep(10 * 1000))
		if (strcmp(e2e_sql("SELECT count(*) FROM pg_locks WHERE NOT granted"
				   " AND $1::integer = ANY (pg_blocking_pids(pid))"
				   " AND waitstart <= clock_timestamp() - $2::integer * interval '1 millisecond'",
				   pid, waited, NULL),
			   "0") != 0)
			return;
	cr_assert_fail("no session came to wait for the test's transaction");
}

const char *e2e_tx_send(struct e2e_tx *tx, const char *sender, const char *chat_id, const char *text)
{
	static unsigned counter;
	/* The service's id format, MSG_<unix ms>_<12 of [a-z0-9]>; each test
	 * runs in a process of its own. */
	const char *id = e2e_printf("MSG_%lld_tx%05d%05u", (long long)time(NULL) * 1000, (int)getpid() % 100000,
				    ++counter % 100000);
	const char *outcome = e2e_tx_sql(tx,
					 "SELECT outcome FROM tc_message_send($1, CASE left($1, 2) WHEN 't_' THEN"
					 " 'therapist' ELSE 'patient' END, $2, $3, $4, false, 'text', NULL, NULL, NULL,"
					 " NULL, NULL)",
					 sender, chat_id, id, text, NULL);
	cr_assert_str_eq(outcome, "created", "sending in a transaction of its own into %s", chat_id);
	return id;
}

/* ============================================================== assertions */

void e2e_expect_error(const struct e2e_reply *reply, long status, const char *code,
		      const char *file, int line)
{
	cr_assert_eq(reply->status, status, "%s:%d: expected HTTP %ld, got %ld: %s", file, line,
		     status, reply->status, reply->body);
	cr_assert(reply->json != NULL && json_object_is_type(reply->json, json_type_object),
		  "%s:%d: the error body is not a JSON object: %s", file, line, reply->body);
	const char *error = e2e_str(reply->json, "error");
	cr_assert(error != NULL && error[0] != '\0', "%s:%d: no \"error\" sentence in %s", file,
		  line, reply->body);
	const char *got = e2e_str(reply->json, "code");
	cr_assert(got != NULL && strcmp(got, code) == 0, "%s:%d: expected code %s in %s", file,
		  line, code, reply->body);
	const char *content_type = e2e_header(reply, "Content-Type");
	cr_assert(content_type != NULL && strncasecmp(content_type, "application/json", 16) == 0,
		  "%s:%d: error Content-Type is %s", file, line,
		  content_type ? content_type : "(none)");
}

void e2e_expect_field_error(const struct e2e_reply *reply, const char *field, const char *file,
			    int line)
{
	e2e_expect_error(reply, 400, "validation_error", file, line);
	struct json_object *fields = e2e_get(reply->json, "fields");
	cr_assert(fields != NULL && json_object_is_type(fields, json_type_object),
		  "%s:%d: no \"fields\" object in %s", file, line, reply->body);
	cr_assert(e2e_has(fields, field), "%s:%d: \"fields\" does not name %s: %s", file, line,
		  field, reply->body);
}

const char *e2e_list_ids(struct e2e_reply *reply)
{
	expect_status(reply, 200);
	const char *ids = "";
	for (size_t i = 0; i < e2e_len(reply->json); i++)
		ids = e2e_printf("%s%s%s", ids, i ? " " : "", e2e_str(e2e_at(reply->json, i), "id"));
	return ids;
}
