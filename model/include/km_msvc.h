/* km_msvc.h: MSVC keywords and intrinsics a driver's code uses that clang
 * and gcc do not know, as the nearest GNU equivalent or as nothing where they
 * only guide MSVC's optimiser or linker. wdm.h includes it. Each name is
 * defined only if nothing defined it first. (MSVC's #pragma warning,
 * code_seg, alloc_text are ignored: driver code is compiled with
 * -Wno-unknown-pragmas, cmake/dmarace.cmake.) */
#ifndef DMARACE_KM_MSVC_H
#define DMARACE_KM_MSVC_H

/* Calling conventions: one convention on x86-64. */
#ifndef __cdecl
#define __cdecl
#endif
#ifndef _cdecl
#define _cdecl
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef _stdcall
#define _stdcall
#endif
#ifndef __fastcall
#define __fastcall
#endif
#ifndef __thiscall
#define __thiscall
#endif
#ifndef __vectorcall
#define __vectorcall
#endif

/* Inlining. (__inline is a GNU keyword already.) In C, static: a header's
 * __forceinline function needs no external definition (C99 inline would);
 * in C++ not, since __forceinline also qualifies member functions. */
#ifndef __forceinline
#ifdef __cplusplus
#define __forceinline inline __attribute__((__always_inline__))
#else
#define __forceinline static __inline__ __attribute__((__always_inline__, __unused__))
#endif
#endif

/* Sized integers and pointer qualifiers. */
#ifndef __int8
#define __int8 char
#endif
#ifndef __int16
#define __int16 short
#endif
#ifndef __int32
#define __int32 int
#endif
#ifndef __int64
#define __int64 long long
#endif
#ifndef __ptr32
#define __ptr32
#endif
#ifndef __ptr64
#define __ptr64
#endif
#ifndef __unaligned
#define __unaligned
#endif
#ifndef __w64
#define __w64
#endif

/* __declspec(x) becomes KM_DECLSPEC_x: the GNU attribute where one means
 * the same, nothing where it only concerns MSVC's linker or code layout. An
 * unknown x is a compile error naming KM_DECLSPEC_x. */
#ifndef __declspec
#define __declspec(x) KM_DECLSPEC_##x
#endif
#define KM_DECLSPEC_noinline __attribute__((__noinline__))
#define KM_DECLSPEC_noreturn __attribute__((__noreturn__))
#define KM_DECLSPEC_align(n) __attribute__((__aligned__(n)))
#define KM_DECLSPEC_selectany __attribute__((__weak__))
#define KM_DECLSPEC_deprecated __attribute__((__deprecated__))
#define KM_DECLSPEC_thread __thread
#define KM_DECLSPEC_dllexport
#define KM_DECLSPEC_dllimport
#define KM_DECLSPEC_novtable
#define KM_DECLSPEC_restrict
#define KM_DECLSPEC_noalias
#define KM_DECLSPEC_nothrow
#define KM_DECLSPEC_allocate(section)
#define KM_DECLSPEC_code_seg(section)
#define KM_DECLSPEC_uuid(text)

/* Optimiser hints: not evaluated (dmarace must not assume what a driver
 * only claims). */
#ifndef __assume
#define __assume(e) ((void)0)
#endif
#ifndef __analysis_assume
#define __analysis_assume(e) ((void)0)
#endif
#ifndef __noop
#define __noop(...) ((void)0)
#endif
#ifndef __pragma
#define __pragma(x) _Pragma(#x)
#endif

#endif
