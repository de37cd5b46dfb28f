/* pshpack8.h: structures declared after it are packed to 8 bytes, until
 * poppack.h (#pragma pack push/pop). No include guard: included once per use. */
#pragma pack(push, 8)
