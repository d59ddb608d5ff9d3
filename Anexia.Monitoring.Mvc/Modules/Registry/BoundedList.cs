using System.Collections.ObjectModel;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// The budget of items shared by every <see cref="BoundedList{T}"/> of one answer that counts against it. The
/// deserializer creates each list on its own, so the budget travels with the read: begun in the read's own async
/// method, it is seen by that read only.
/// </summary>
internal static class BoundedList
{
    private static readonly AsyncLocal<StrongBox<int>?> AnswerItemsLeft = new();

    /// <summary>Starts the budget of the answer about to be read.</summary>
    public static void BeginAnswer(int items) => AnswerItemsLeft.Value = new StrongBox<int>(items);

    internal static bool TakeAnswerItem() => AnswerItemsLeft.Value is not { } left || --left.Value >= 0;
}

/// <summary>
/// A list that System.Text.Json fills as it reads, and that refuses more than a set number of items (and, where it
/// counts against the answer, more than the answer's budget, <see cref="BoundedList.BeginAnswer"/>): the read then
/// fails as a malformed answer would, so the memory one answer takes is bounded by its items, not only by its bytes.
/// </summary>
/// <param name="limit">The most items.</param>
/// <param name="tooMany">The message when there are more, with <c>{0}</c> for the limit.</param>
/// <param name="countsAgainstAnswer">Whether its items also count against the answer's budget.</param>
internal abstract class BoundedList<T>(int limit, string tooMany, bool countsAgainstAnswer = false) : Collection<T>
{
    private readonly int _limit = limit;
    private readonly string _tooMany = tooMany;
    private readonly bool _countsAgainstAnswer = countsAgainstAnswer;

    protected override void InsertItem(int index, T item)
    {
        if (Count >= _limit || (_countsAgainstAnswer && !BoundedList.TakeAnswerItem()))
        {
            throw new InvalidDataException(string.Format(CultureInfo.InvariantCulture, _tooMany, _limit));
        }

        base.InsertItem(index, item);
    }
}
