#ifndef TOY_PLAIN_H
#define TOY_PLAIN_H
extern int toy_counter;
void toy_plain_increment(void);
#endif
