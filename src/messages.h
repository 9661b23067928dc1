/*
 * The Messages resource, /api/messages/ (API.md section 4).
 */
#ifndef TCCHAT_MESSAGES_H
#define TCCHAT_MESSAGES_H

#include "handler.h"

handler_fn messages_list;
handler_fn messages_send;
handler_fn messages_unread;
handler_fn messages_get;
handler_fn messages_put;
handler_fn messages_patch;
handler_fn messages_delete;
handler_fn messages_history;
handler_fn messages_mark_emergency;
handler_fn messages_mark_read;
handler_fn messages_edit;
handler_fn messages_delete_action;

#endif
