#ifndef TOY_PLAIN_H
#define TOY_PLAIN_H
extern int toy_counter;
void toy_plain_increment(void);
/* toy_data, then the volatile toy_flag; the flag, then toy_data (-1: not yet). */
extern int toy_data;
extern volatile int toy_flag;
void toy_plain_publish(int value);
int toy_plain_consume(void);
#endif
