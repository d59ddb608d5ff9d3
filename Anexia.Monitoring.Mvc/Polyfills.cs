#if !NET9_0_OR_GREATER
// System.Threading.Lock arrived in .NET 9. On .NET 8 the same `lock` statements take a plain object's monitor,
// which is what the compiler emitted for every lock before that type existed.
global using Lock = object;
#endif
