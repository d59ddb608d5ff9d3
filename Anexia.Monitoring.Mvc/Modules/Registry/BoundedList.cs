using System.Globalization;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// A list that System.Text.Json fills as it reads, and that refuses more than a set number of items: the read then fails
/// as a malformed answer would, so the memory one answer takes is bounded by its items, not only by its bytes.
/// </summary>
/// <param name="limit">The most items.</param>
/// <param name="tooMany">The message when there are more, with <c>{0}</c> for the limit.</param>
internal abstract class BoundedList<T>(int limit, string tooMany) : ICollection<T>, IReadOnlyList<T>
{
    private readonly List<T> _items = [];
    private readonly int _limit = limit;
    private readonly string _tooMany = tooMany;

    public int Count => _items.Count;

    public bool IsReadOnly => false;

    public T this[int index] => _items[index];

    public void Add(T item)
    {
        if (_items.Count >= _limit || !Admit())
        {
            throw new InvalidDataException(string.Format(CultureInfo.InvariantCulture, _tooMany, _limit));
        }

        _items.Add(item);
    }

    public void Clear() => _items.Clear();

    /// <summary>Whether a further item is allowed by a bound beyond this list's own.</summary>
    protected virtual bool Admit() => true;

    public bool Contains(T item) => _items.Contains(item);

    public void CopyTo(T[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);

    public bool Remove(T item) => _items.Remove(item);

    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
