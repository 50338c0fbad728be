// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/**
 * @title BitmapMerkleDistributorBaseline
 * @notice Bench-only yardstick (no deploy step uses it): the minimal one-shot Merkle airdrop in the style of
 * Uniswap's MerkleDistributor, written here to measure what a claim costs with nothing but the
 * essentials. One immutable root and token, no proxy, no pause, no roles, no activation delay;
 * leaves are `keccak256(abi.encodePacked(index, account, amount))`, each claimable once, the claim
 * recorded as one bit in a bitmap word shared by 256 leaf indexes; anyone may submit a claim.
 * It cannot do what RewardsDistributor does (new roots each epoch, cumulative amounts, claims only by
 * the holder or its approved claimer, a delay in which a root revoker can revoke the root); the gas bench prints it beside it.
 */
contract BitmapMerkleDistributorBaseline {
    /// @notice The token paid out.
    IERC20 public immutable token;
    /// @notice Root of the (index, account, amount) leaves.
    bytes32 public immutable merkleRoot;

    mapping(uint256 word => uint256 bits) private _claimedWords;

    /// @notice Leaf `index` paid `amount` to `account`.
    event Claimed(uint256 index, address account, uint256 amount);

    /// @notice Leaf `index` was already claimed.
    error AlreadyClaimed(uint256 index);
    /// @notice The proof does not show (`index`, `account`, `amount`) under the root.
    error InvalidDropProof(uint256 index, address account, uint256 amount);
    /// @notice The token's transfer returned false.
    error TransferFailed(address account, uint256 amount);

    constructor(IERC20 token_, bytes32 merkleRoot_) {
        token = token_;
        merkleRoot = merkleRoot_;
    }

    /// @notice Pays leaf `index` (`amount` to `account`) once, proven by `proof`.
    function claim(uint256 index, address account, uint256 amount, bytes32[] calldata proof) external {
        uint256 word = index >> 8;
        uint256 bit = 1 << (index & 0xff);
        uint256 bits = _claimedWords[word];
        if (bits & bit != 0) revert AlreadyClaimed(index);
        bytes32 leaf = keccak256(abi.encodePacked(index, account, amount));
        if (!MerkleProof.verifyCalldata(proof, merkleRoot, leaf)) revert InvalidDropProof(index, account, amount);
        _claimedWords[word] = bits | bit;
        emit Claimed(index, account, amount);
        if (!token.transfer(account, amount)) revert TransferFailed(account, amount);
    }

    /// @notice Whether leaf `index` was claimed.
    function isClaimed(uint256 index) external view returns (bool) {
        return _claimedWords[index >> 8] & (1 << (index & 0xff)) != 0;
    }
}
