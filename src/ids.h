/*
 * Identifier formats (API.md section 2 and 3): user ids, and the ids the
 * service derives from them.
 */
#ifndef TCCHAT_IDS_H
#define TCCHAT_IDS_H

#include <stdbool.h>

/* "t_" followed by six of [a-z0-9]. */
bool id_is_therapist(const char *id);
/* "p_" followed by six of [a-z0-9]. */
bool id_is_patient(const char *id);
/* An admin's id: 1..64 printable ASCII characters, no space. */
bool id_is_admin(const char *id);

/* "CHAT_" + a therapist id + "_" + a patient id. */
bool id_is_chat(const char *id);

/* True when `user` is the therapist or the patient of the well-formed chat
 * id `chat`. */
bool id_chat_has_participant(const char *chat, const char *user);

/* "MSG_" and 1..60 of [A-Za-z0-9_]: the service's MSG_<ms>_<random> and
 * the original service's ids alike. */
bool id_is_message(const char *id);

/* Room for a new message id and its NUL. */
#define MESSAGE_ID_SIZE 40

/* Writes a new message id, MSG_<unix milliseconds>_<12 random [a-z0-9]>. */
void id_new_message(char out[MESSAGE_ID_SIZE]);

/* Longest id accepted in a path segment; longer ones cannot exist. */
#define PATH_ID_MAX 128

#endif
