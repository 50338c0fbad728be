// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
import {IUnorderedNonces} from "./IUnorderedNonces.sol";
/**
 * @title IIssuer
 * @notice Mints and redeems index tokens against EIP-712 quote orders signed by a PMM (maker).
 * @dev Two ways to settle an order, both submitted by the WLP named in it (participant):
 * - atomic (`mint`/`redeem`): every leg is an on-chain token, so the whole fill happens in the
 *   submitting transaction;
 * - request/fill (`requestMint`/`fillMint`, `requestRedeem`/`fillRedeem`): the WLP's side is
 *   escrowed here, the maker fills later; a request nobody fills can be cancelled from its
 *   expiry on and everything escrowed goes back to the requester. Fills are allowed strictly
 *   before the expiry and cancels from it on, so the two never race.
 *
 * Order legs are the tokenset's assets in its order, with amounts bounded by
 * `basketFor(index, indexAmount, side)` at the moment of settlement: on a mint each leg is at least
 * `ceil(indexAmount * baseUnitAmount * factor / 1e45)` (what the maker must deliver to custody), on
 * a redeem at most `floor(...)` (what custody may release), `factor` being the index's management
 * fee factor (1e27 when no fee has been taken). The order's amounts are what moves. The factor only
 * falls between tokenset changes, so mint legs quoted at the factor of the quote time, and redeem
 * legs quoted at the factor of the order's deadline, stay valid until the deadline. Rounding and
 * the bounds always favour the protocol. Fees are charged in the cash token, `ceil(cashAmount * feeBps / 10_000)`: on a mint
 * the WLP pays it on top of the cash, on a redeem it comes out of the cash the WLP receives.
 *
 * Checks run in a fixed order: caller role, expiry, order fields (side, requester, index,
 * rebalancing, amount range, cash token, fee, basket), maker role and signature, then the maker's
 * nonce (checked and marked used in one step, see {IUnorderedNonces}); only then do tokens move.
 */
interface IIssuer is IProtocolCommon, IUnorderedNonces {
    /// @notice Direction of an order.
    enum Side {
        Mint,
        Redeem
    }

    /// @notice Life cycle of a request.
    enum RequestStatus {
        None,
        Pending,
        Filled,
        Cancelled,
        Rejected
    }

    /**
     * @notice A PMM's quote, signed as EIP-712 typed data
     * `QuoteOrder(address index,uint8 side,uint256 indexAmount,address[] assets,uint256[] amounts,`
     * `address cashToken,uint256 cashAmount,address maker,address requester,uint256 deadline,uint256 nonce)`
     * under the domain (name "SSI Issuer", version "1", chain id, this contract).
     * @param index The index token.
     * @param side Mint or redeem.
     * @param indexAmount Index units minted or redeemed (18 decimals).
     * @param assets Basket legs: the tokenset's assets in its order.
     * @param amounts Basket legs: the amount of each asset, within the bound `basketFor` computes (see above).
     * @param cashToken The token the price is paid in (an allowed cash token).
     * @param cashAmount The price: paid by the WLP to the maker on a mint, by the maker to the WLP on a redeem.
     * @param maker The PMM that signed (EOA or ERC-1271 contract) and moves the underlying.
     * @param requester The WLP the quote is for; only it may submit the order.
     * @param deadline Last timestamp at which the order may be submitted.
     * @param nonce One-time number in the maker's unordered nonce bitmap.
     */
    struct QuoteOrder {
        address index;
        Side side;
        uint256 indexAmount;
        address[] assets;
        uint256[] amounts;
        address cashToken;
        uint256 cashAmount;
        address maker;
        address requester;
        uint256 deadline;
        uint256 nonce;
    }

    /**
     * @notice Per-index issuance settings.
     * @param minAmount Smallest index amount per order (non-zero).
     * @param maxAmount Largest index amount per order.
     * @param feeVault Receives the issue and redeem fees.
     * @param issueFeeBps Mint fee in basis points of the cash amount.
     * @param redeemFeeBps Redeem fee in basis points of the cash amount.
     * @param requestTimeout Seconds after a request before it can no longer be filled and can be cancelled.
     */
    struct IndexConfig {
        uint128 minAmount;
        uint128 maxAmount;
        address feeVault;
        uint16 issueFeeBps;
        uint16 redeemFeeBps;
        uint32 requestTimeout;
    }

    /**
     * @notice A pending or settled request, keyed by its order hash.
     * @param fee The fee fixed when the request was made.
     * @param expiresAt From this timestamp on the request cannot be filled and can be cancelled.
     * @param status Where the request is in its life cycle.
     */
    struct Request {
        uint128 fee;
        uint64 expiresAt;
        RequestStatus status;
    }

    /// @notice An order settled: index units minted to the requester (atomically or by a fill).
    event Minted(
        bytes32 indexed orderHash,
        address indexed index,
        address indexed requester,
        address maker,
        uint256 indexAmount,
        address cashToken,
        uint256 cashAmount,
        uint256 fee
    );
    /// @notice An order settled: index units burned and the underlying released to the maker.
    event Redeemed(
        bytes32 indexed orderHash,
        address indexed index,
        address indexed requester,
        address maker,
        uint256 indexAmount,
        address cashToken,
        uint256 cashAmount,
        uint256 fee
    );
    /// @notice A mint request escrowed `cashAmount + fee` of the cash token.
    event MintRequested(
        bytes32 indexed orderHash,
        address indexed index,
        address indexed requester,
        address maker,
        uint256 indexAmount,
        address cashToken,
        uint256 cashAmount,
        uint256 fee,
        uint64 expiresAt
    );
    /// @notice A redeem request escrowed `indexAmount` index units.
    event RedeemRequested(
        bytes32 indexed orderHash,
        address indexed index,
        address indexed requester,
        address maker,
        uint256 indexAmount,
        address cashToken,
        uint256 cashAmount,
        uint256 fee,
        uint64 expiresAt
    );
    /// @notice A mint request was cancelled and `refund` of `cashToken` returned to the requester.
    event MintCancelled(
        bytes32 indexed orderHash, address indexed index, address indexed requester, address cashToken, uint256 refund
    );
    /// @notice A redeem request was cancelled and `indexAmount` index units returned to the requester.
    event RedeemCancelled(bytes32 indexed orderHash, address indexed index, address indexed requester, uint256 indexAmount);
    /// @notice The maker rejected a mint request and `refund` of `cashToken` went back to the requester.
    event MintRejected(
        bytes32 indexed orderHash,
        address indexed index,
        address indexed requester,
        address maker,
        address cashToken,
        uint256 refund
    );
    /// @notice The maker rejected a redeem request and `indexAmount` index units went back to the requester.
    event RedeemRejected(
        bytes32 indexed orderHash, address indexed index, address indexed requester, address maker, uint256 indexAmount
    );
    /// @notice An index was registered with its settings.
    event IndexRegistered(address indexed index, IndexConfig config);
    /// @notice An index's settings changed; carries all of them.
    event IndexConfigUpdated(address indexed index, IndexConfig config);
    /// @notice An index entered or left rebalancing.
    event RebalancingSet(address indexed index, bool rebalancing);
    /// @notice Minting of an index was paused or resumed (the reserve circuit breaker); redeeming is unaffected.
    event MintPausedSet(address indexed index, bool paused);
    /// @notice Tokens sent here by mistake (above what requests hold in escrow) were recovered.
    event ExcessRecovered(address indexed token, address indexed to, uint256 amount);

    /// @notice Minting of the index is paused (reserve circuit breaker); redeems still work.
    error MintPaused(address index);
    /// @notice The index amount lies outside the index's [min, max].
    error AmountOutOfRange(uint256 amount, uint256 min, uint256 max);
    /// @notice The index's fee is above the most the WLP accepts.
    error FeeAboveMax(uint256 feeBps, uint256 maxFeeBps);
    /// @notice The order has `actual` legs but the tokenset has `expected` assets (or the leg lists differ).
    error BasketLengthMismatch(uint256 expected, uint256 actual);
    /// @notice Leg `leg` is not `expectedAsset`, or its amount is below (mint) / above (redeem) the bound `expectedAmount`.
    error BasketMismatch(uint256 leg, address expectedAsset, uint256 expectedAmount);
    /// @notice Only the order's maker may fill it.
    error CallerNotMaker(address caller, address maker);
    /// @notice The index has `count` requests in flight; rebalancing cannot start.
    error RequestsInFlight(address index, uint256 count);
    /// @notice The index is already registered.
    error IndexAlreadyRegistered(address index);
    /// @notice A fee above the hard cap.
    error FeeBpsTooHigh(uint256 feeBps, uint256 max);
    /// @notice The amount range is empty or starts at zero.
    error InvalidAmountRange(uint256 min, uint256 max);

    /**
     * @notice Sets up the issuer.
     * @param admin Default admin (two-step handover); also pauser and upgrader.
     * @param custody Where minted underlying goes and redeemed underlying comes from (a custody vault).
     */
    function initialize(address admin, address custody) external;

    /**
     * @notice Atomic mint: the maker's underlying goes to custody, the caller's cash to the maker,
     * the fee to the fee vault and `indexAmount` new index units to the caller.
     * @dev Caller: PARTICIPANT_ROLE and `order.requester`. Needs allowances: maker -> this for every
     * leg, caller -> this for `cashAmount + fee`.
     * @param maxFeeBps The highest issue fee the caller accepts.
     * @return orderHash The order's EIP-712 digest.
     */
    function mint(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        returns (bytes32 orderHash);

    /**
     * @notice Atomic redeem: the caller's index units are burned, the maker pays the cash minus the
     * fee to the caller and the fee to the fee vault, and custody releases the underlying to the maker.
     * @dev Caller: PARTICIPANT_ROLE and `order.requester`. Needs allowance maker -> this for `cashAmount`.
     * @param maxFeeBps The highest redeem fee the caller accepts.
     * @return orderHash The order's EIP-712 digest.
     */
    function redeem(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        returns (bytes32 orderHash);

    /**
     * @notice Mint request: checks the order like `mint`, uses its nonce and escrows the caller's
     * `cashAmount + fee` here until the maker fills or rejects it or the requester cancels. The
     * request expires at the earlier of `requestTimeout` from now and the second after the order's
     * deadline: the maker cannot fill at a price it quoted for a shorter time, and the requester may
     * cancel as soon as the quote has run out.
     * @return orderHash The request's key.
     */
    function requestMint(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        returns (bytes32 orderHash);

    /**
     * @notice Fills a pending mint request before it expires (so never after the order's deadline):
     * the maker's underlying goes to custody, the escrowed cash to the maker, the fee to the fee
     * vault and the index units to the requester.
     * @dev Caller: the order's maker, still holding MAKER_ROLE.
     */
    function fillMint(QuoteOrder calldata order) external;

    /**
     * @notice Cancels a pending mint request from its expiry on and refunds `cashAmount + fee`
     * to the requester. Works while paused.
     * @dev Caller: the requester, or an operator (the refund still goes to the requester).
     */
    function cancelMint(QuoteOrder calldata order) external;

    /**
     * @notice The maker turns down a pending mint request: `cashAmount + fee` goes back to the
     * requester at once. Works while paused.
     * @dev Caller: the order's maker (also after its role was revoked: rejecting only refunds).
     */
    function rejectMint(QuoteOrder calldata order) external;

    /**
     * @notice Redeem request: checks the order like `redeem`, uses its nonce and escrows the
     * caller's `indexAmount` index units here (allowance caller -> this needed). Expires like a mint
     * request: at the earlier of `requestTimeout` from now and the second after the order's deadline.
     * @return orderHash The request's key.
     */
    function requestRedeem(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        returns (bytes32 orderHash);

    /**
     * @notice Fills a pending redeem request before it expires (so never after the order's deadline):
     * the maker pays the cash minus the fee to the requester and the fee to the fee vault, custody releases the underlying to the
     * maker and the escrowed index units are burned.
     * @dev Caller: the order's maker, still holding MAKER_ROLE.
     */
    function fillRedeem(QuoteOrder calldata order) external;

    /**
     * @notice Cancels a pending redeem request from its expiry on and returns the escrowed index
     * units to the requester. Works while paused.
     * @dev Caller: the requester, or an operator (the refund still goes to the requester).
     */
    function cancelRedeem(QuoteOrder calldata order) external;

    /**
     * @notice The maker turns down a pending redeem request: the escrowed index units go back to the
     * requester at once. Works while paused.
     * @dev Caller: the order's maker (also after its role was revoked: rejecting only refunds).
     */
    function rejectRedeem(QuoteOrder calldata order) external;


    /// @notice Registers a new index with its settings; only REGISTRAR_ROLE (the factory), once per index.
    function registerIndex(address index, IndexConfig calldata config) external;

    /// @notice Replaces an index's settings; only OPERATOR_ROLE. Pending requests keep their fee and expiry.
    function setIndexConfig(address index, IndexConfig calldata config) external;

    /**
     * @notice Puts an index into or out of rebalancing; while in, it cannot be minted or redeemed.
     * @dev Only REBALANCER_ROLE. Entering requires no request in flight for the index.
     */
    function setRebalancing(address index, bool rebalancing) external;

    /**
     * @notice Pauses or resumes minting of one index: while paused, mint, requestMint and fillMint
     * revert with {MintPaused}; redeems, redeem requests and cancels still work.
     * @dev Only OPERATOR_ROLE: the reserve publisher trips it on a custody deficit, an operator clears it.
     */
    function setMintPaused(address index, bool paused) external;

    /// @notice Allows or disallows a cash token; only OPERATOR_ROLE.
    function setCashToken(address token, bool allowed) external;

    /**
     * @notice Sends `to` whatever this contract holds of `token` above the escrow of pending
     * requests (tokens sent here by mistake). Escrow can never be taken. Only the admin.
     */
    function recoverExcess(address token, address to) external;

    /// @notice The order's EIP-712 digest under this contract's domain: what the maker signs.
    function hashOrder(QuoteOrder calldata order) external view returns (bytes32);

    /**
     * @notice Runs every check a submission by `order.requester` would run, without moving tokens
     * or using the nonce; reverts with the same error the submission would.
     * @return orderHash The order's EIP-712 digest.
     * @return fee The fee the submission would charge.
     */
    function verifyOrder(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        view
        returns (bytes32 orderHash, uint256 fee);

    /**
     * @notice The bounds of the legs of an order for `indexAmount` of `index` settled now: the
     * tokenset's assets and `ceil` (mint: the least) or `floor` (redeem: the most) of
     * `indexAmount * baseUnitAmount * factor / 1e45`.
     */
    function basketFor(address index, uint256 indexAmount, Side side)
        external
        view
        returns (address[] memory assets, uint256[] memory amounts);

    /// @notice The index's settings (all zero when not registered).
    function indexConfig(address index) external view returns (IndexConfig memory);

    /// @notice Whether the index is rebalancing.
    function isRebalancing(address index) external view returns (bool);

    /// @notice Whether minting of the index is paused.
    function isMintPaused(address index) external view returns (bool);

    /// @notice Requests of the index that are pending (neither filled nor cancelled).
    function pendingRequests(address index) external view returns (uint256);

    /// @notice The request keyed by `orderHash`.
    function getRequest(bytes32 orderHash) external view returns (Request memory);

    /// @notice Word `wordPos` of `maker`'s nonce bitmap.
    function nonceBitmap(address maker, uint256 wordPos) external view returns (uint256);


    /// @notice Whether `token` is an allowed cash token.
    function isCashToken(address token) external view returns (bool);

    /// @notice How much of `token` pending requests hold in escrow here.
    function escrowed(address token) external view returns (uint256);

    /// @notice The custody vault.
    function custody() external view returns (address);

    /// @notice The role of PMMs whose signatures make valid orders.
    function MAKER_ROLE() external view returns (bytes32);

    /// @notice The role of WLPs who may submit orders.
    function PARTICIPANT_ROLE() external view returns (bytes32);

    /// @notice The role that may register indexes (the factory).
    function REGISTRAR_ROLE() external view returns (bytes32);

    /// @notice The role that may put indexes into and out of rebalancing.
    function REBALANCER_ROLE() external view returns (bytes32);
}
