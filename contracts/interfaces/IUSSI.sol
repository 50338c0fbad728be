// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
import {IUnorderedNonces} from "./IUnorderedNonces.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/**
 * @title IUSSI
 * @notice USSI, the delta-neutral USD index token: an ERC-20 minted and redeemed by participants
 * (WLPs) against hedge orders the protocol signs, valued at a NAV per token that the operator
 * publishes within bounds.
 * @dev Flows, each a request the operator settles:
 * - mint: `applyMint` escrows the order's asset (a stablecoin, or an index token) here;
 *   `confirmMint` mints the USSI to the requester and hands the asset to the hedge desk, which opens
 *   the delta-neutral position: a stablecoin goes to the requester's vault route (or the hedge
 *   vault), an index token is burned through the IndexBurner's `burnFor` and custody releases its
 *   basket to the hedge vault; `rejectMint` refunds the asset.
 * - redeem: `applyRedeem` escrows the requester's USSI here; `confirmRedeem` burns it and pays the
 *   stablecoin either from this contract's float (what it holds above pending escrow) or, with a
 *   non-zero transaction hash, records that the payout was made off-chain; when the float is short,
 *   `markPayoutPending` burns it and leaves the payout tracked until `recordPayout` records the
 *   off-chain transaction; `rejectRedeem` returns the USSI.
 * - a request nobody settles can be cancelled by its requester from its expiry on, with a full
 *   refund; confirms are allowed strictly before expiry, so the two never race. Cancels and rejects
 *   work while paused.
 *
 * Pricing: both amounts of an order are valued in USD with 18 decimals:
 * `ussiValue = ussiAmount * nav / 1e18` and `assetValue = assetAmount * assetPrice / 10**decimals`,
 * where `assetPrice` is USD per whole asset (1e18 = 1 USD) as signed in the order: exactly 1e18 for
 * a stablecoin (valued at par), the signer's price for an index token. The order is accepted when
 * `|ussiValue - assetValue| <= assetValue * toleranceBps / 10_000` against the NAV published here,
 * which must be at most `maxNavAge` old. Spreads and fees live inside that tolerance.
 *
 * NAV: the operator publishes it; each update moves it by at most `maxNavMoveBps` of the previous
 * value and comes at least `minNavInterval` after the previous one, so a faulty or compromised
 * operator key can only drift the NAV slowly while the guardian pauses.
 *
 * Checks of a submitted order run in a fixed order: caller role, expiry, fields (side, requester,
 * asset, amounts, price), NAV freshness and tolerance, nonce, signature; only then do tokens move.
 * Escrow: `pending(token)` is what pending requests hold of `token` (USSI escrow is counted under
 * this contract's own address); `rescue` can only move the balance above it.
 */
interface IUSSI is IERC20, IProtocolCommon, IUnorderedNonces {
    /// @notice Direction of an order.
    enum Side {
        Mint,
        Redeem
    }

    /// @notice How an asset is accepted: not at all, as a stablecoin (valued at par), or as an index token.
    enum AssetKind {
        Unsupported,
        Stablecoin,
        IndexToken
    }

    /// @notice Life cycle of a request.
    enum RequestStatus {
        None,
        Pending,
        Confirmed,
        Rejected,
        Cancelled,
        PayoutPending
    }

    /**
     * @notice A hedge order, signed by the order signer as EIP-712 typed data
     * `HedgeOrder(address requester,uint8 side,address asset,uint256 assetAmount,uint256 assetPrice,`
     * `uint256 ussiAmount,uint256 deadline,uint256 nonce)` under the domain (name "USSI", version "1",
     * chain id, this contract).
     * @param requester The participant the order is for; only it may submit it.
     * @param side Mint or redeem.
     * @param asset Mint: a supported stablecoin or index token paid in; redeem: the stablecoin paid out.
     * @param assetAmount Amount of `asset` in its smallest units (below 2^128).
     * @param assetPrice USD per whole `asset`, 18 decimals; exactly 1e18 for a stablecoin.
     * @param ussiAmount USSI units (18 decimals, below 2^128) minted or redeemed.
     * @param deadline Last timestamp at which the order may be submitted.
     * @param nonce One-time number in the contract's unordered nonce bitmap.
     */
    struct HedgeOrder {
        address requester;
        Side side;
        address asset;
        uint256 assetAmount;
        uint256 assetPrice;
        uint256 ussiAmount;
        uint256 deadline;
        uint256 nonce;
    }

    /**
     * @notice The contract's limits, set together by the admin (one slot).
     * @param toleranceBps Largest gap between an order's USSI value and asset value, in basis points of the asset value.
     * @param requestTimeout Seconds after an application from which it can no longer be confirmed and can be cancelled.
     * @param maxNavMoveBps Largest move of one NAV update, in basis points of the previous NAV.
     * @param minNavInterval Fewest seconds between two NAV updates: at least 5 minutes, and long enough
     * that `maxNavMoveBps` per interval is at most 10% an hour.
     * @param maxNavAge Oldest a NAV may be for an order to be applied against it (greater than `minNavInterval`).
     */
    struct Settings {
        uint16 toleranceBps;
        uint32 requestTimeout;
        uint16 maxNavMoveBps;
        uint32 minNavInterval;
        uint32 maxNavAge;
    }

    /**
     * @notice A request, keyed by a sequential id starting at 1.
     * @param requester Who applied; receives the USSI or the payout, or the refund.
     * @param side Mint or redeem.
     * @param status Where the request is in its life cycle.
     * @param expiresAt From this timestamp on the request cannot be confirmed and can be cancelled.
     * @param asset The order's asset.
     * @param assetAmount The order's asset amount (escrowed here for a mint).
     * @param ussiAmount The order's USSI amount (escrowed here for a redeem).
     */
    struct Request {
        address requester;
        Side side;
        RequestStatus status;
        uint64 expiresAt;
        address asset;
        uint128 assetAmount;
        uint128 ussiAmount;
    }

    /// @notice A mint was applied: `assetAmount` of `asset` is escrowed here until confirmed, rejected or cancelled.
    event MintApplied(
        uint256 indexed id,
        bytes32 indexed orderHash,
        address indexed requester,
        address asset,
        uint256 assetAmount,
        uint256 assetPrice,
        uint256 ussiAmount,
        uint256 nav,
        uint64 expiresAt
    );
    /// @notice A mint was confirmed: `ussiAmount` minted to the requester, the asset sent to `hedgeVault`.
    event MintConfirmed(
        uint256 indexed id,
        address indexed requester,
        address asset,
        uint256 assetAmount,
        uint256 ussiAmount,
        address hedgeVault
    );
    /// @notice A mint was rejected by the operator and the escrowed asset refunded.
    event MintRejected(uint256 indexed id, address indexed requester, address asset, uint256 assetAmount);
    /// @notice A redeem was applied: `ussiAmount` USSI is escrowed here until confirmed, rejected or cancelled.
    event RedeemApplied(
        uint256 indexed id,
        bytes32 indexed orderHash,
        address indexed requester,
        address asset,
        uint256 assetAmount,
        uint256 assetPrice,
        uint256 ussiAmount,
        uint256 nav,
        uint64 expiresAt
    );
    /**
     * @notice A redeem was confirmed: the escrowed USSI burned and `assetAmount` of `asset` paid to the
     * requester, from the float when `payoutTxHash` is zero, otherwise off-chain in that transaction.
     */
    event RedeemConfirmed(
        uint256 indexed id,
        address indexed requester,
        address asset,
        uint256 assetAmount,
        uint256 ussiAmount,
        bytes32 payoutTxHash
    );
    /**
     * @notice A redeem was accepted with its payout still to be made off-chain (the float was short):
     * the escrowed USSI is burned and the request waits for {recordPayout}.
     */
    event RedeemPayoutPending(uint256 indexed id, address indexed requester, uint256 assetAmount);
    /// @notice The off-chain payout of `PayoutPending` redeem `id` was made in `payoutTxHash`; the request is confirmed.
    event PayoutRecorded(uint256 indexed id, bytes32 payoutTxHash);
    /// @notice A redeem was rejected by the operator and the escrowed USSI returned.
    event RedeemRejected(uint256 indexed id, address indexed requester, uint256 ussiAmount);
    /// @notice The requester cancelled an expired request; `amount` of `token` was refunded.
    event RequestCancelled(uint256 indexed id, address indexed requester, Side side, address token, uint256 amount);
    /// @notice The NAV per USSI (USD, 18 decimals) changed from `previousNav` to `nav` at `updatedAt`.
    event NavPublished(uint256 previousNav, uint256 nav, uint64 updatedAt);
    /// @notice The address whose signatures make valid orders changed.
    event OrderSignerUpdated(address previousSigner, address newSigner);
    /// @notice The address that receives minted assets for the hedge changed.
    event HedgeVaultUpdated(address previousVault, address newVault);
    /// @notice The IndexBurner that burns index tokens taken in on mints for their basket changed.
    event IndexBurnerUpdated(address previousBurner, address newBurner);
    /// @notice The admin approved (`true`) or withdrew (`false`) `vault` as a destination of vault routes.
    event VaultApproved(address indexed vault, bool approved);
    /// @notice The operator routed the stablecoin of `requester`'s mints to `vault` (zero: the hedge vault).
    event VaultRouteSet(address indexed requester, address previousVault, address vault);
    /// @notice How `asset` is accepted changed; `decimals` as read from the token (zero when unsupported).
    event AssetUpdated(address indexed asset, AssetKind kind, uint8 decimals);
    /// @notice The limits changed; carries all of them.
    event SettingsUpdated(Settings settings);
    /// @notice The admin moved `amount` of `token` held above pending escrow to `to`.
    event Rescued(address indexed token, address indexed to, uint256 amount);

    /// @notice The asset is not supported (for this side: redeems pay stablecoins only).
    error AssetNotSupported(address asset, AssetKind kind);
    /// @notice An order amount does not fit the 128 bits a request keeps.
    error AmountTooLarge(uint256 amount);
    /// @notice The price is not allowed for the asset: a stablecoin must be priced at exactly 1e18, an index token above zero.
    error InvalidAssetPrice(address asset, uint256 price);
    /// @notice The NAV published at `updatedAt` is older than `maxAge` seconds at `timestamp`.
    error NavStale(uint64 updatedAt, uint32 maxAge, uint256 timestamp);
    /// @notice The order's USSI value and asset value differ by more than `toleranceBps` of the asset value.
    error OutOfTolerance(uint256 ussiValue, uint256 assetValue, uint256 toleranceBps);
    /// @notice The signature recovers to `recovered` (zero when malformed), not to the order signer.
    error InvalidSigner(address recovered, address orderSigner);
    /// @notice The float of `asset` (balance above pending escrow) is `available`, below the `needed` payout.
    error InsufficientFloat(address asset, uint256 available, uint256 needed);
    /// @notice A NAV must be above zero and below 2^128.
    error InvalidNav(uint256 nav);
    /// @notice The update from `previousNav` to `nav` moves more than `maxMoveBps`.
    error NavMoveTooLarge(uint256 previousNav, uint256 nav, uint256 maxMoveBps);
    /// @notice The next NAV update is allowed from `allowedAt`.
    error NavUpdateTooEarly(uint256 allowedAt, uint256 timestamp);
    /// @notice `amount` is more than the `free` balance of `token` above pending escrow.
    error RescueExceedsFree(address token, uint256 amount, uint256 free);
    /// @notice The NAV move bound is zero or above the hard cap.
    error InvalidNavMoveBound(uint256 maxNavMoveBps, uint256 max);
    /// @notice The NAV age limit must be non-zero and greater than the minimum update interval.
    error InvalidNavTiming(uint256 minNavInterval, uint256 maxNavAge);
    /// @notice `minNavInterval` is below the floor `min` (5 minutes).
    error NavIntervalTooShort(uint256 minNavInterval, uint256 min);
    /// @notice `maxNavMoveBps` every `minNavInterval` seconds is faster than `maxBpsPerHour` an hour.
    error NavRateTooHigh(uint256 maxNavMoveBps, uint256 minNavInterval, uint256 maxBpsPerHour);
    /// @notice The asset cannot be configured (USSI itself).
    error InvalidAsset(address asset);
    /// @notice An index-token mint cannot be confirmed before the admin sets the IndexBurner ({setIndexBurner}).
    error IndexBurnerNotSet();
    /// @notice `vault` is not approved by the admin as a vault route's destination.
    error VaultNotApproved(address vault);
    /// @notice The request is not waiting for an off-chain payout.
    error RequestNotPayoutPending(uint256 id, RequestStatus status);
    /// @notice An off-chain payout must be recorded with its (non-zero) transaction hash.
    error ZeroPayoutTxHash();

    /**
     * @notice Sets up USSI behind its proxy.
     * @param name_ ERC-20 name.
     * @param symbol_ ERC-20 symbol.
     * @param admin Default admin (two-step handover); also pauser and upgrader.
     * @param orderSigner_ The address whose signatures make valid orders (the operator's KMS key).
     * @param hedgeVault_ Receives the assets of confirmed mints.
     * @param initialNav The first NAV per USSI (USD, 18 decimals), published now.
     * @param settings_ The limits.
     */
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address admin,
        address orderSigner_,
        address hedgeVault_,
        uint256 initialNav,
        Settings calldata settings_
    ) external;

    /**
     * @notice Applies for a mint: checks the order, uses its nonce and escrows `assetAmount` of the
     * asset here (allowance caller -> this needed).
     * @dev Caller: PARTICIPANT_ROLE and `order.requester`. Not while paused.
     * @return id The request's id.
     */
    function applyMint(HedgeOrder calldata order, bytes calldata signature) external returns (uint256 id);

    /**
     * @notice Confirms a pending mint before it expires: mints `ussiAmount` to the requester and
     * hands over the escrowed asset. A stablecoin goes to the requester's vault route when it has one
     * and the admin still approves it, otherwise to the hedge vault. An index token is burned through
     * the IndexBurner's `burnFor` (this contract holds its BURNER_ROLE) and custody releases its basket
     * to the hedge vault; with no IndexBurner set this reverts {IndexBurnerNotSet}. An asset the admin stopped
     * supporting after the application goes to the hedge vault as it is.
     * @dev Caller: OPERATOR_ROLE. Not while paused.
     */
    function confirmMint(uint256 id) external;

    /**
     * @notice Rejects a pending mint and refunds the escrowed asset to the requester. Works while paused.
     * @dev Caller: OPERATOR_ROLE.
     */
    function rejectMint(uint256 id) external;

    /**
     * @notice Applies for a redeem: checks the order (its asset must be a stablecoin), uses its
     * nonce and escrows the caller's `ussiAmount` USSI here (no allowance needed).
     * @dev Caller: PARTICIPANT_ROLE and `order.requester`. Not while paused.
     * @return id The request's id.
     */
    function applyRedeem(HedgeOrder calldata order, bytes calldata signature) external returns (uint256 id);

    /**
     * @notice Confirms a pending redeem before it expires and burns the escrowed USSI. With
     * `payoutTxHash` zero, pays `assetAmount` to the requester from the float (reverting with
     * {InsufficientFloat} when it is short); otherwise records that the payout was made off-chain in
     * that transaction and moves no stablecoin.
     * @dev Caller: OPERATOR_ROLE. Not while paused.
     */
    function confirmRedeem(uint256 id, bytes32 payoutTxHash) external;

    /**
     * @notice Accepts a pending redeem before it expires whose payout the float cannot cover: burns
     * the escrowed USSI and marks the request `PayoutPending`, so it can no longer be cancelled or
     * rejected, until {recordPayout} records the off-chain payout.
     * @dev Caller: OPERATOR_ROLE. Not while paused.
     */
    function markPayoutPending(uint256 id) external;

    /**
     * @notice Records the off-chain payout of a `PayoutPending` redeem: the request becomes
     * `Confirmed` and {PayoutRecorded} carries `payoutTxHash`. Moves no tokens; works while paused.
     * @dev Caller: OPERATOR_ROLE.
     */
    function recordPayout(uint256 id, bytes32 payoutTxHash) external;

    /**
     * @notice Rejects a pending redeem and returns the escrowed USSI to the requester. Works while paused.
     * @dev Caller: OPERATOR_ROLE.
     */
    function rejectRedeem(uint256 id) external;

    /**
     * @notice Cancels a pending request of the caller from its expiry on, refunding everything it
     * escrowed (the asset of a mint, the USSI of a redeem). Works while paused.
     * @dev Caller: the requester, whatever its roles now.
     */
    function cancel(uint256 id) external;

    /**
     * @notice Publishes the NAV per USSI (USD, 18 decimals): at most `maxNavMoveBps` away from the
     * previous one and at least `minNavInterval` after it.
     * @dev Caller: OPERATOR_ROLE. Not while paused.
     */
    function publishNav(uint256 nav_) external;


    /// @notice Admin: sets the address whose signatures make valid orders (orders of the previous signer stop being accepted).
    function setOrderSigner(address orderSigner_) external;

    /// @notice Admin: sets where the assets of confirmed mints go (pending requests are unaffected until confirmed).
    function setHedgeVault(address hedgeVault_) external;

    /// @notice Admin: sets the IndexBurner that burns index tokens taken in on mints (zero stops index-token confirmations).
    function setIndexBurner(address indexBurner_) external;

    /// @notice Admin: approves `vault` as a destination the operator may route a requester's stablecoin mints to,
    /// or withdraws it.
    function setVaultApproved(address vault, bool approved) external;

    /**
     * @notice Routes the stablecoin of `requester`'s mints, from the next confirmation on, to `vault`
     * (approved by the admin), or back to the hedge vault with zero.
     * @dev Caller: OPERATOR_ROLE.
     */
    function setVaultRoute(address requester, address vault) external;

    /**
     * @notice Admin: supports `asset` as a stablecoin or an index token, or stops supporting it
     * (`Unsupported`). Its decimals are read from the token. Pending requests in it still settle or refund.
     */
    function setAsset(address asset, AssetKind kind) external;

    /// @notice Admin: replaces the limits (hard caps: tolerance 10%, request timeout 7 days, NAV move 50%).
    function setSettings(Settings calldata settings_) external;

    /**
     * @notice Admin: sends `amount` of `token` held here above pending escrow to `to` (tokens sent by
     * mistake, or float no longer needed). Escrow can never be taken.
     */
    function rescue(address token, address to, uint256 amount) external;

    /// @notice The order's EIP-712 digest under this contract's domain: what the order signer signs.
    function hashOrder(HedgeOrder calldata order) external view returns (bytes32);

    /**
     * @notice Runs every check an application by `order.requester` would run, without moving tokens
     * or using the nonce; reverts with the same error the application would.
     * @return orderHash The order's EIP-712 digest.
     */
    function verifyOrder(HedgeOrder calldata order, bytes calldata signature) external view returns (bytes32 orderHash);

    /// @notice The current NAV per USSI (USD, 18 decimals) and when it was published.
    function nav() external view returns (uint256 value, uint64 updatedAt);

    /// @notice The limits.
    function settings() external view returns (Settings memory);

    /// @notice The address whose signatures make valid orders.
    function orderSigner() external view returns (address);

    /// @notice Where the assets of confirmed mints go.
    function hedgeVault() external view returns (address);

    /// @notice How `asset` is accepted and its decimals.
    function assetConfig(address asset) external view returns (AssetKind kind, uint8 decimals);

    /// @notice Every supported asset (stablecoins and index tokens), in no particular order.
    function supportedAssets() external view returns (address[] memory);

    /// @notice The request with id `id` (all zero when unknown).
    function getRequest(uint256 id) external view returns (Request memory);

    /// @notice How many requests were ever applied; ids run from 1 to this number.
    function requestCount() external view returns (uint256);

    /// @notice How much of `token` pending requests hold here (USSI under this contract's address).
    function pending(address token) external view returns (uint256);

    /// @notice What this contract holds of `token` above pending escrow: the float redeems are paid from.
    function floatOf(address token) external view returns (uint256);


    /// @notice The role of participants (WLPs) who may apply.
    function PARTICIPANT_ROLE() external view returns (bytes32);
}
