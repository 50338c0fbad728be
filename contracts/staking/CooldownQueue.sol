// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/**
 * @title CooldownQueue
 * @notice One account's pending cooldown requests (unstakes, unlocks), each with its own clock.
 * Requests get sequential ids and are paid oldest first; a request never changes once made, so a
 * later request can never restart an earlier one.
 * @dev Gas shape: one header slot {total, head, next} per account and one slot per request
 * {amount, endsAt}. Requests mature in id order: a new request's end is clamped to be no earlier
 * than the previous pending one's, which only matters after an admin shortened the cooldown (without
 * the clamp a new short request would sit behind an older long one while showing an earlier end).
 * That keeps "pay everything matured" a walk over a prefix instead of a scan.
 */
library CooldownQueue {
    struct Request {
        uint128 amount;
        uint64 endsAt;
    }

    struct Queue {
        /// @dev Sum of the amounts of requests not yet paid.
        uint128 total;
        /// @dev Id of the oldest unpaid request (== next when none is pending).
        uint64 head;
        /// @dev Id the next request will get.
        uint64 next;
        mapping(uint256 id => Request) requests;
    }

    /**
     * @dev Appends a request for `amount` ending at `endsAt` (or at the previous pending request's
     * end if that is later). Returns its id, its effective end and the new pending total.
     * Reverts if `amount` does not fit 128 bits (SafeCast) or the pending total would overflow them (panic).
     */
    function push(Queue storage queue, uint256 amount, uint64 endsAt)
        internal
        returns (uint64 id, uint64 effectiveEndsAt, uint256 total)
    {
        uint64 head = queue.head;
        id = queue.next;
        effectiveEndsAt = endsAt;
        if (id > head) {
            // Safe: id > head >= 0, so id - 1 cannot underflow.
            uint64 previousEnd;
            unchecked {
                previousEnd = queue.requests[id - 1].endsAt;
            }
            if (previousEnd > effectiveEndsAt) effectiveEndsAt = previousEnd;
        }
        uint128 amount128 = SafeCast.toUint128(amount);
        queue.requests[id] = Request({amount: amount128, endsAt: effectiveEndsAt});
        uint128 newTotal = queue.total + amount128;
        queue.total = newTotal;
        // Safe: one id per request; 2^64 requests cannot be made by one account.
        unchecked {
            queue.next = id + 1;
        }
        total = newTotal;
    }

    /**
     * @dev Pays (deletes) at most `maxRequests` requests from the oldest, stopping at the first one
     * not matured at `now`. Returns the amount released, the ids paid [firstId, firstId + count)
     * and the new pending total.
     */
    function popMatured(Queue storage queue, uint256 now_, uint256 maxRequests)
        internal
        returns (uint256 amount, uint64 firstId, uint64 count, uint256 total)
    {
        firstId = queue.head;
        uint64 next = queue.next;
        uint64 id = firstId;
        while (id < next && count < maxRequests) {
            Request storage request = queue.requests[id];
            if (request.endsAt > now_) break;
            amount += request.amount;
            delete queue.requests[id];
            // Safe: id < next <= 2^64 - 1 and count <= id - firstId.
            unchecked {
                ++id;
                ++count;
            }
        }
        total = queue.total;
        if (count != 0) {
            // Safe: the paid amounts are part of the pending total, which is their sum plus the rest.
            unchecked {
                total -= amount;
            }
            queue.head = id;
            queue.total = uint128(total);
        }
    }

    /// @dev End of the oldest pending request, or 0 when none is pending.
    function nextEndsAt(Queue storage queue) internal view returns (uint64) {
        uint64 head = queue.head;
        return head < queue.next ? queue.requests[head].endsAt : 0;
    }

    /// @dev Sum of the pending requests matured at `now_` (the prefix `popMatured` would pay).
    function matured(Queue storage queue, uint256 now_) internal view returns (uint256 amount) {
        uint64 next = queue.next;
        for (uint64 id = queue.head; id < next; ++id) {
            Request storage request = queue.requests[id];
            if (request.endsAt > now_) break;
            amount += request.amount;
        }
    }

    /// @dev The pending requests, oldest first, with the id of the first one.
    function pending(Queue storage queue) internal view returns (uint64 firstId, Request[] memory requests) {
        firstId = queue.head;
        uint64 next = queue.next;
        requests = new Request[](next - firstId);
        for (uint64 id = firstId; id < next; ++id) {
            requests[id - firstId] = queue.requests[id];
        }
    }
}
