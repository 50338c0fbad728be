// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
import {IRebalanceErrors} from "./IRebalanceErrors.sol";
import {IUnorderedNonces} from "./IUnorderedNonces.sol";
/**
 * @title IRebalancer
 * @notice Rebalances index baskets against PMM-signed orders checked against reference prices
 * signed by a price attester (PRICE_ATTESTER_ROLE, a key apart from the operator's), and sells
 * the management fee basket to PMMs for cash paid to the fee vault.
 * @dev A rebalance happens inside a window:
 * 1. `openWindow(index)` (operator): the issuer stops mint and redeem for the index (it refuses
 *    while requests are in flight) and the token freezes its basket (fee accrual stops; the
 *    window's fee is charged when it closes).
 * 2. `settle(order, makerSignature, prices, priceSignature)` (operator, any number of times, one
 *    at a time): custody releases the sell legs to the maker, the maker delivers the buy legs to
 *    custody, and the token's tokenset becomes what custody now holds for the index divided by
 *    the supply: for every asset of the old tokenset or the buy legs
 *    `held = basket + bought - sold` (basket = `ceil(supply * base * factor / 1e45)`) and
 *    `unitAmount = floor(held * 1e18 / supply)`; assets whose amount rounds to zero leave the
 *    tokenset. Rounding down keeps `ceil(supply * unitAmount / 1e18) <= held`, so custody covers
 *    the new basket; the fee basket is untouched (sells may never exceed the basket). Price
 *    protection: with the attested USD prices (18 decimals per whole token), the bought value
 *    must lie within `toleranceBps` of the sold value, either way; every buy leg must be an asset
 *    the admin allowed (`setBuyAssetAllowed`); and the losses of all the window's settlements
 *    together (sold value above bought value, each at its own attested prices) stay within
 *    `toleranceBps` of the basket's value at the window's first settlement. An operator key alone
 *    can therefore neither attest prices nor buy an unlisted token, nor lose more than the
 *    tolerance over a window by settling many times.
 * 3. `closeWindow(index)`: the operator at any time, anyone once the window outlived its
 *    maximum duration; mint and redeem resume. Works while paused, so nothing stays stuck.
 * Fee sales (`sellFee`) take assets out of the token's fee basket only (never the holders'
 * basket); custody releases them to the maker, whose cash goes to the index's fee vault. The cash
 * must be worth at least the fee assets' value less `toleranceBps`, both at attested prices.
 *
 * Every order is EIP-712 typed data under the domain (name "SSI Rebalancer", version "1", chain
 * id, this contract), with an expiry and a one-time nonce from the signer's unordered bitmap
 * (word `nonce >> 8`, bit `nonce & 255`). Checks run in a fixed order: caller role, window,
 * expiry, fields, basket and prices, signatures, then both nonces (checked and marked used in one
 * step, see {IUnorderedNonces}); only then do tokens move.
 */
interface IRebalancer is IProtocolCommon, IUnorderedNonces, IRebalanceErrors {
    /**
     * @notice A PMM's rebalance order, signed as EIP-712 typed data
     * `RebalanceOrder(address index,address[] sellAssets,uint256[] sellAmounts,address[] buyAssets,`
     * `uint256[] buyAmounts,address maker,uint256 deadline,uint256 nonce)`.
     * @param index The index token being rebalanced.
     * @param sellAssets Assets custody releases to the maker, strictly ascending; each in the tokenset.
     * @param sellAmounts Amount of each, non-zero, at most the index's basket of it.
     * @param buyAssets Assets the maker delivers to custody, strictly ascending.
     * @param buyAmounts Amount of each, non-zero (the maker approves this contract for them).
     * @param maker The PMM that signed (EOA or ERC-1271 contract) and trades.
     * @param deadline Last timestamp at which the order may be settled.
     * @param nonce One-time number in the maker's nonce bitmap.
     */
    struct RebalanceOrder {
        address index;
        address[] sellAssets;
        uint256[] sellAmounts;
        address[] buyAssets;
        uint256[] buyAmounts;
        address maker;
        uint256 deadline;
        uint256 nonce;
    }

    /**
     * @notice Reference prices signed by a PRICE_ATTESTER_ROLE holder as EIP-712 typed data
     * `PriceAttestation(address index,address[] assets,uint256[] prices,uint256 validUntil,uint256 nonce)`.
     * @param index The index the prices are for.
     * @param assets Priced assets, strictly ascending; must cover every leg of the order (for a
     * window's first settlement also every basket asset; for a fee sale also the cash token).
     * @param prices USD per whole token of each asset, 18 decimals, non-zero.
     * @param validUntil Last timestamp at which the prices may be used.
     * @param nonce One-time number in the signer's nonce bitmap.
     */
    struct PriceAttestation {
        address index;
        address[] assets;
        uint256[] prices;
        uint256 validUntil;
        uint256 nonce;
    }

    /**
     * @notice A PMM's bid for fee assets, signed as EIP-712 typed data
     * `FeeSaleOrder(address index,address[] assets,uint256[] amounts,address cashToken,uint256 cashAmount,`
     * `address maker,uint256 deadline,uint256 nonce)`.
     * @param index The index whose fee basket is sold from.
     * @param assets Fee assets the maker buys, strictly ascending.
     * @param amounts Amount of each, non-zero, at most what the fee basket holds.
     * @param cashToken What the maker pays in (an issuer cash token).
     * @param cashAmount What the maker pays, straight to the index's fee vault.
     * @param maker The PMM that signed and trades.
     * @param deadline Last timestamp at which the order may be settled.
     * @param nonce One-time number in the maker's nonce bitmap.
     */
    struct FeeSaleOrder {
        address index;
        address[] assets;
        uint256[] amounts;
        address cashToken;
        uint256 cashAmount;
        address maker;
        uint256 deadline;
        uint256 nonce;
    }

    /**
     * @notice An index's rebalance window.
     * @param openedAt When it opened (zero: no window open).
     * @param expiresAt From then on it cannot settle and anyone may close it.
     * @param settlements Orders settled in it so far.
     */
    struct Window {
        uint64 openedAt;
        uint64 expiresAt;
        uint32 settlements;
    }

    /**
     * @notice What a settlement would do, as `previewSettlement` computes it.
     * @param orderHash The order's EIP-712 digest.
     * @param priceSigner The price attester who signed the prices.
     * @param previousAssets The tokenset before (effective amounts).
     * @param previousUnitAmounts The tokenset before (effective amounts).
     * @param assets The tokenset after.
     * @param unitAmounts The tokenset after.
     * @param soldValue USD value of the sell legs at the attested prices (18 decimals).
     * @param boughtValue USD value of the buy legs at the attested prices (18 decimals).
     * @param openingValue USD value of the basket when the window's first order settled (18 decimals).
     * @param windowLoss Value lost by the window's settlements so far, this one included (18 decimals).
     */
    struct Settlement {
        bytes32 orderHash;
        address priceSigner;
        address[] previousAssets;
        uint256[] previousUnitAmounts;
        address[] assets;
        uint256[] unitAmounts;
        uint256 soldValue;
        uint256 boughtValue;
        uint256 openingValue;
        uint256 windowLoss;
    }

    /// @notice A window opened: mint and redeem of `index` stop until `closeWindow`; carries the tokenset it starts from.
    event RebalanceWindowOpened(
        address indexed index, uint256 openedAt, uint256 expiresAt, address[] assets, uint256[] unitAmounts
    );
    /// @notice An order settled; carries the tokenset before and after, and the values compared.
    event RebalanceSettled(
        bytes32 indexed orderHash,
        address indexed index,
        address indexed maker,
        address[] previousAssets,
        uint256[] previousUnitAmounts,
        address[] assets,
        uint256[] unitAmounts,
        uint256 soldValue,
        uint256 boughtValue
    );
    /// @notice A window closed and mint and redeem resumed; carries the tokenset it ends with.
    event RebalanceWindowClosed(
        address indexed index, address indexed closedBy, uint256 settlements, address[] assets, uint256[] unitAmounts
    );
    /// @notice An index without supply got a new tokenset directly (nothing to trade).
    event TokensetReset(address indexed index, address[] assets, uint256[] unitAmounts);
    /// @notice Fee assets were sold: released from custody to the maker, `cashAmount` paid to `feeVault`.
    event FeeSold(
        bytes32 indexed orderHash,
        address indexed index,
        address indexed maker,
        address[] assets,
        uint256[] amounts,
        address cashToken,
        uint256 cashAmount,
        address feeVault
    );
    /// @notice The price tolerance changed.
    event ToleranceSet(uint256 toleranceBps);
    /// @notice The longest a window may stay open before anyone may close it changed (applies to windows opened later).
    event MaxWindowDurationSet(uint256 duration);
    /// @notice The admin allowed or disallowed `asset` as a buy leg of rebalance orders.
    event BuyAssetAllowed(address indexed asset, bool allowed);

    /// @notice `index` already has a window, opened at `openedAt`.
    error WindowAlreadyOpen(address index, uint256 openedAt);
    /// @notice `index` has no open window.
    error WindowNotOpen(address index);
    /// @notice The window of `index` expired at `expiresAt`; it can only be closed.
    error WindowExpired(address index, uint256 expiresAt);
    /// @notice Only an operator may close the window of `index` before `expiresAt`.
    error WindowNotExpired(address index, uint256 expiresAt);
    /// @notice The issuer no longer holds `index` in rebalancing (its flag was cleared elsewhere).
    error IndexNotRebalancing(address index);
    /// @notice `index` has supply: its tokenset can only change through a settled order.
    error IndexHasSupply(address index, uint256 supply);
    /// @notice The window's settlements together would lose `loss`, more than `maxLoss` (tolerance of the opening value).
    error WindowLossExceeded(address index, uint256 loss, uint256 maxLoss);
    /// @notice A fee sale's cash is worth `cashValue`, below `minValue` (the fee assets' attested value less the tolerance).
    error FeeSaleBelowPrice(uint256 cashValue, uint256 minValue);
    /// @notice A window duration of zero or above the hard cap.
    error InvalidWindowDuration(uint256 duration, uint256 max);

    /**
     * @notice Sets up the rebalancer.
     * @param admin Default admin (two-step handover); also pauser and upgrader.
     * @param issuer The issuer (index registry, rebalancing switch, fee vaults, cash tokens); its custody is used.
     * @param toleranceBps Largest gap between sold and bought value, in basis points (at most 500).
     * @param maxWindowDuration Seconds a window may stay open before anyone may close it (at most 7 days).
     */
    function initialize(address admin, address issuer, uint16 toleranceBps, uint32 maxWindowDuration) external;

    /**
     * @notice Opens a rebalance window: the issuer suspends mint and redeem for `index` (reverting
     * `RequestsInFlight` while requests are pending) and the token freezes its basket.
     * @dev Only OPERATOR_ROLE, not while paused; one window per index at a time.
     */
    function openWindow(address index) external;

    /**
     * @notice Settles a rebalance order atomically: sell legs custody -> maker, buy legs maker ->
     * custody, and the tokenset becomes what custody holds for the index per token (see above).
     * @dev Only OPERATOR_ROLE, not while paused, inside an open, unexpired window. Every buy leg
     * must be an allowed buy asset. The losses of all the window's settlements (sold value above
     * bought value) together stay within the tolerance of the basket's value at the window's first
     * settlement. Needs allowances maker -> this contract for every buy leg.
     * @param prices Reference prices, signed by an account holding PRICE_ATTESTER_ROLE.
     * @return orderHash The order's EIP-712 digest.
     */
    function settle(
        RebalanceOrder calldata order,
        bytes calldata makerSignature,
        PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) external returns (bytes32 orderHash);

    /**
     * @notice Closes the window of `index`: the token releases its basket and the issuer resumes
     * mint and redeem. The operator may close at any time, anyone from the window's expiry on.
     * Works while paused.
     */
    function closeWindow(address index) external;

    /**
     * @notice Sets the tokenset of an index without supply (nothing in custody to trade),
     * inside an open window. Only OPERATOR_ROLE, not while paused.
     */
    function resetTokenset(address index, address[] calldata assets, uint256[] calldata unitAmounts) external;

    /**
     * @notice Sells fee assets to a PMM: the token takes them out of its fee basket (never the
     * holders' basket), custody releases them to the maker and the maker pays `cashAmount` of
     * `cashToken` to the index's fee vault.
     * @dev Only OPERATOR_ROLE, not while paused. The cash must be worth at least the fee assets'
     * value less the tolerance, both at the attested prices. Needs allowance maker -> this for the cash.
     * @param prices Reference prices of the fee assets and the cash token, signed by an account
     * holding PRICE_ATTESTER_ROLE.
     * @return orderHash The order's EIP-712 digest.
     */
    function sellFee(
        FeeSaleOrder calldata order,
        bytes calldata makerSignature,
        PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) external returns (bytes32 orderHash);


    /// @notice Sets the price tolerance (basis points, at most 500); only the admin.
    function setTolerance(uint16 toleranceBps) external;

    /// @notice Sets the longest a window may stay open before anyone may close it (seconds, 1 to 7 days); only the admin.
    function setMaxWindowDuration(uint32 duration) external;

    /// @notice Allows or disallows `asset` as a buy leg of rebalance orders; only the admin.
    function setBuyAssetAllowed(address asset, bool allowed) external;

    /**
     * @notice Runs every check `settle` would (except the caller's role) and returns what it would
     * do, without moving tokens or using nonces; reverts with the error `settle` would.
     */
    function previewSettlement(
        RebalanceOrder calldata order,
        bytes calldata makerSignature,
        PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) external view returns (Settlement memory);

    /// @notice The rebalance order's EIP-712 digest under this contract's domain: what the maker signs.
    function hashRebalanceOrder(RebalanceOrder calldata order) external view returns (bytes32);

    /// @notice The price attestation's EIP-712 digest: what the price attester signs.
    function hashPriceAttestation(PriceAttestation calldata prices) external view returns (bytes32);

    /// @notice The fee sale order's EIP-712 digest: what the maker signs.
    function hashFeeSaleOrder(FeeSaleOrder calldata order) external view returns (bytes32);

    /// @notice The window of `index` (all zero when none is open).
    function window(address index) external view returns (Window memory);

    /// @notice The price tolerance in basis points.
    function toleranceBps() external view returns (uint256);

    /// @notice Seconds a window may stay open before anyone may close it.
    function maxWindowDuration() external view returns (uint256);

    /// @notice The issuer.
    function issuer() external view returns (address);

    /// @notice The custody vault assets are released from and delivered to.
    function custody() external view returns (address);


    /// @notice The role of PMMs whose signatures make valid rebalance and fee sale orders.
    function MAKER_ROLE() external view returns (bytes32);

    /// @notice The role whose holders sign price attestations (a key apart from the operator's).
    function PRICE_ATTESTER_ROLE() external view returns (bytes32);

    /// @notice Whether `asset` may be bought in a rebalance order.
    function isBuyAssetAllowed(address asset) external view returns (bool);
}
