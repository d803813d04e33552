/*
 * Kept for includers of the old path: the order flow is the order
 * service now (service/orders.h).
 */
#include "service/orders.h"
