using System.Collections.ObjectModel;
using System.Globalization;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// A list that System.Text.Json fills as it reads, and that refuses more than a set number of items: the read then fails
/// as a malformed answer would, so the memory one answer takes is bounded by its items, not only by its bytes.
/// </summary>
/// <param name="limit">The most items.</param>
/// <param name="tooMany">The message when there are more, with <c>{0}</c> for the limit.</param>
internal abstract class BoundedList<T>(int limit, string tooMany) : Collection<T>
{
    private readonly int _limit = limit;
    private readonly string _tooMany = tooMany;

    /// <summary>Whether a further item is allowed by a bound beyond this list's own.</summary>
    protected virtual bool Admit() => true;

    protected override void InsertItem(int index, T item)
    {
        if (Count >= _limit || !Admit())
        {
            throw new InvalidDataException(string.Format(CultureInfo.InvariantCulture, _tooMany, _limit));
        }

        base.InsertItem(index, item);
    }
}
