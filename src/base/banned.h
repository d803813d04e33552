/*
 * Functions that apotheca does not use, made into compile errors so the rule
 * is kept by the compiler rather than by memory. Every .c file includes it
 * directly, after all its other headers (`make check-banned` checks).
 */
#ifndef APO_BANNED_H
#define APO_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_use_buf_or_strnum

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atof
#define atof(x) BANNED(atof)
#undef gets
#define gets(x) BANNED(gets)

#endif
