/*
 * restart_check.h: whether the SIGTERM being handled is systemd stopping the unit to start it
 * again (systemctl restart), in which case the datapath stays for the next daemon.
 */
#ifndef L3DSR_RESTART_CHECK_H
#define L3DSR_RESTART_CHECK_H

#include <stdbool.h>

/*
 * Asks systemd over D-Bus which job the unit of this process has: true when it is a restart
 * ("restart", "try-restart", "reload-or-restart", "try-reload-or-restart"), so the daemon
 * should exit without detaching. False when not run by systemd, when there is no bus, on any
 * error (logged when the bus answered), and for every other job: the stop is then a real one.
 */
bool stop_is_restart(void);

#endif /* L3DSR_RESTART_CHECK_H */
