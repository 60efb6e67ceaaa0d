/* notify.h: the daemon's state as told to systemd (sd_notify); silent when NOTIFY_SOCKET is unset.
 */
#ifndef L3DSR_NOTIFY_H
#define L3DSR_NOTIFY_H

/* READY=1 with a STATUS= line: the program is attached and its maps are filled. */
void notify_ready(const char *status);

/* STATUS= alone, for the periodic refresh. */
void notify_status(const char *status);

/* RELOADING=1 with MONOTONIC_USEC=now, as systemd's Type=notify-reload expects. */
void notify_reloading(void);

/* STOPPING=1 with STATUS=: the daemon is on its way out. */
void notify_stopping(const char *status);

#endif /* L3DSR_NOTIFY_H */
