/* pshpack4.h: structures declared after it are packed to 4 bytes, until
 * poppack.h (#pragma pack push/pop). No include guard: included once per use. */
#pragma pack(push, 4)
